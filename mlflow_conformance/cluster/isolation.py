"""NetworkPolicy isolation of the tracking Service (P9.2), expected versus observed.

Expected: the NetworkPolicy evaluator (mlflow_conformance.netpol) over the objects the API
returned — namespaces with their labels, the server's Deployment as its pods, the Service,
the policies of every namespace involved — for the very probe pods that then observe: one per
job namespace (platform) and one in an outsider namespace. Observed: each probe pod's TCP
connection to the Service by its cluster name. Each cell compares the two (Cyclonus's truth
table); a mismatch is retried a bounded number of times, since policies take a moment to
apply, and then judged. An outsider that connects where the policies say deny is
`policy_not_enforced`: the network plugin ignores NetworkPolicies — the most dangerous false
sense of isolation, so the harness says it plainly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import progress
from ..findings import Finding, Outcome
from ..netpol.analysis import allows_outsiders, blocks_dns, blocks_platform
from ..netpol.loading import inventory_of
from ..netpol.resources import parse_pod
from ..netpol.table import Target, TruthTable, truth_table
from .probe_pods import Job, PodFailed

ALLOWED = "allowed"
TRACKING_PORT = 5000
RETRIES = 3
RETRY_SECONDS = 2.0

REMEDIES = {
    "policy_not_enforced": "the cluster's network plugin does not enforce NetworkPolicies "
                           "(e.g. flannel alone): install one that does (Calico, Cilium) — until "
                           "then every namespace can reach MLflow, whatever the policies say",
    "policy_allows_outsiders": "restrict the policy's ingress peers to the platform's "
                               "namespaces (namespaceSelector AND podSelector in ONE peer)",
    "policy_blocks_platform": "admit the job namespaces to the tracking Service's port in the "
                              "policy (namespaceSelector on their labels)",
    "egress_blocks_dns": "add an egress rule to the cluster DNS (kube-system, UDP and TCP 53) "
                         "to the default-deny egress policy",
}


@dataclass(frozen=True)
class Source:
    """A probe pod that observes: its manifest and whether its namespace is the platform's."""

    pod: Mapping[str, Any]
    platform: bool

    @property
    def key(self) -> str:
        meta = self.pod["metadata"]
        return f"{meta['namespace']}/{meta['name']}"


def expected(objects: Iterable[Mapping[str, Any]], sources: Sequence[Source], namespace: str,
             service: str, port: int) -> tuple[TruthTable, list[Finding], Target]:
    """The truth table the policies predict, and the policy findings for those sources."""
    inventory = inventory_of(list(objects))
    target_service = next((s for s in inventory.services
                           if s.namespace == namespace and s.name == service), None)
    if target_service is None:
        raise LookupError(f"Service {namespace}/{service} is not among the objects")
    pods = [parse_pod(dict(s.pod)) for s in sources]
    inventory.pods += pods
    target = Target(target_service, port)
    table = truth_table(inventory, pods, [target])
    platform = sorted({p.namespace for p, s in zip(pods, sources, strict=True) if s.platform})
    outsiders = [p for p, s in zip(pods, sources, strict=True) if not s.platform]
    insiders = [p for p, s in zip(pods, sources, strict=True) if s.platform]
    findings = [*allows_outsiders(inventory, platform, target, outsiders),
                *blocks_platform(inventory, platform, target, insiders),
                *blocks_dns(inventory, platform, insiders)]
    return table, [Finding(Outcome.FAIL, f.code, f.message, f.evidence, REMEDIES[f.code])
                   for f in findings], target


def observed_of(steps: Mapping[str, Mapping[str, Any]]) -> str:
    """A cell's observation from the connectivity probe's steps: allowed, or the code."""
    tcp = steps["tcp"]
    return ALLOWED if tcp["code"] == "ok" else str(tcp["code"])


def mismatches(table: TruthTable, observed: Mapping[str, str]) -> list[str]:
    return [row for row in table.rows
            if (observed.get(row) == ALLOWED) != table.cells[table.rows.index(row)][0].allowed]


def observe(table: TruthTable, jobs: Mapping[str, Job],
            run_many: Callable[[list[Job]], list[Any]],
            sleep: Callable[[float], None] = time.sleep) -> tuple[dict[str, str], dict[str, int]]:
    """Each source's observation (by its row key) and the attempt that gave it: every probe
    pod runs once, and again, up to RETRIES, where it disagrees with the expected table —
    policies take a moment to apply. A pod that fails is raised (PodFailed): no cell."""
    observed: dict[str, str] = {}
    tries: dict[str, int] = {}
    pending = list(jobs)
    for attempt in range(1, RETRIES + 1):
        with progress.step(f"running the isolation probe in {len(pending)} pods (attempt "
                           f"{attempt})"):
            results = run_many([jobs[key] for key in pending])
        for key, result in zip(pending, results, strict=True):
            if isinstance(result, PodFailed):
                raise result
            observed[key] = observed_of({s["step"]: s for s in result["steps"]})
            tries[key] = attempt
        wrong = set(mismatches(table, observed))
        pending = [key for key in pending if key in wrong]
        if not pending:
            break
        sleep(RETRY_SECONDS)
    return observed, tries


def cells(table: TruthTable, observed: Mapping[str, str], sources: Sequence[Source],
          tries: Mapping[str, int]) -> list[dict[str, Any]]:
    platform = {s.key: s.platform for s in sources}
    out = []
    for row, [cell] in zip(table.rows, table.cells, strict=True):
        seen = observed.get(row, "not observed")
        out.append({"source": row, "platform_namespace": platform[row],
                    "destination": cell.target, "expected": ALLOWED if cell.allowed else "denied",
                    "observed": seen, "right": (seen == ALLOWED) == cell.allowed,
                    "reason": cell.reason, "decided_by": cell.policy, "tries": tries.get(row, 1)})
    return out


def judge(table: TruthTable, policy_findings: Sequence[Finding], observed: Mapping[str, str],
          sources: Sequence[Source], tries: Mapping[str, int],
          policies: Sequence[str]) -> Finding:
    truth = cells(table, observed, sources, tries)
    evidence = {"truth_table": truth, "policies": list(policies)}
    unenforced = [c for c in truth if not c["platform_namespace"]
                  and c["expected"] == "denied" and c["observed"] == ALLOWED]
    if unenforced:
        return Finding(Outcome.FAIL, "policy_not_enforced", "the policies deny "
                       f"{', '.join(c['source'] for c in unenforced)} but it connected to "
                       f"{unenforced[0]['destination']}: NetworkPolicies are not enforced",
                       evidence, REMEDIES["policy_not_enforced"])
    blocked = [c for c in truth if c["platform_namespace"] and c["observed"] != ALLOWED]
    if blocked and not policy_findings:
        return Finding(Outcome.FAIL, "policy_blocks_platform", f"{blocked[0]['source']} could "
                       f"not connect ({blocked[0]['observed']}) although the policies allow it",
                       evidence, REMEDIES["policy_blocks_platform"])
    if policy_findings:
        first = policy_findings[0]
        return Finding(first.outcome, first.code, first.message,
                       {**evidence, **first.evidence,
                        "all": [f"{f.code}: {f.message}" for f in policy_findings]},
                       first.remedy)
    wrong = [c for c in truth if not c["right"]]
    if wrong:
        return Finding(Outcome.FAIL, "policy_blocks_platform", f"{wrong[0]['source']}: "
                       f"expected {wrong[0]['expected']}, observed {wrong[0]['observed']}",
                       evidence, REMEDIES["policy_blocks_platform"])
    if not truth:
        return Finding(Outcome.ERROR, "harness_error", "no probe pod observed", evidence)
    return Finding(Outcome.PASS, "ok", f"only the platform's namespaces reach "
                   f"{truth[0]['destination']}: {len(truth)} cells, expected = observed "
                   f"(policies: {', '.join(policies) or 'none'})", evidence)

