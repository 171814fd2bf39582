"""Findings over the expected reachability of a platform target (the tracking Service, the
in-cluster S3 endpoint): outsiders admitted, platform pods blocked, DNS blocked by egress.

Plain dataclasses: turning them into the harness's Finding is the caller's business.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from .evaluate import decide, evaluate
from .inventory import Inventory
from .model import Pod
from .policy import EGRESS
from .sources import dns_pods, outsider_pods, platform_pods
from .table import Target
from .verdict import Verdict


@dataclass(frozen=True)
class PolicyFinding:
    code: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _admitted(verdict: Verdict) -> bool:
    """Any backend admitting is an opening, even if the ClusterIP sometimes picks another."""
    return verdict.allowed or any(b.allowed for b in verdict.backends)


def _rules(verdicts: Sequence[Verdict]) -> list[str]:
    parts = [b for v in verdicts for b in (v.backends or (v,))]
    return sorted({r.describe() for p in parts for d in (p.ingress, p.egress)
                   if d is not None for r in d.allowed_by})


def _selecting(verdicts: Sequence[Verdict]) -> list[str]:
    parts = [b for v in verdicts for b in (v.backends or (v,))]
    return sorted({name for p in parts for d in (p.ingress, p.egress)
                   if d is not None and not d.allowed for name in d.selecting})


def allows_outsiders(inventory: Inventory, platform: Collection[str], target: Target,
                     outsiders: Sequence[Pod] | None = None) -> list[PolicyFinding]:
    sources = outsider_pods(inventory, platform) if outsiders is None else outsiders
    admitted = [v for v in (evaluate(inventory, s, target.destination, target.port,
                                     target.protocol) for s in sources) if _admitted(v)]
    if not admitted:
        return []
    rules = _rules(admitted)
    why = (f"allowed by {', '.join(rules)}" if rules
           else "no policy selects the destination: not isolated")
    return [PolicyFinding(
        "policy_allows_outsiders",
        f"pods outside the platform namespaces may connect to {target.label}: "
        f"{', '.join(v.source for v in admitted)} ({why})",
        {"target": target.label, "sources": [v.source for v in admitted], "policies":
         sorted({r.split(" ")[0] for r in rules}), "rules": rules,
         "reasons": {v.source: v.reason() for v in admitted}})]


def blocks_platform(inventory: Inventory, platform: Collection[str], target: Target,
                    sources: Sequence[Pod] | None = None) -> list[PolicyFinding]:
    pods = platform_pods(inventory, platform) if sources is None else sources
    denied = [v for v in (evaluate(inventory, s, target.destination, target.port,
                                   target.protocol) for s in pods) if not v.allowed]
    if not denied:
        return []
    policies = _selecting(denied)
    return [PolicyFinding(
        "policy_blocks_platform",
        f"platform pods may not connect to {target.label}: "
        f"{', '.join(v.source for v in denied)} ({'; '.join(denied[0].reasons())})",
        {"target": target.label, "sources": [v.source for v in denied], "policies": policies,
         "reasons": {v.source: v.reason() for v in denied}})]


def blocks_dns(inventory: Inventory, platform: Collection[str],
               sources: Sequence[Pod] | None = None) -> list[PolicyFinding]:
    """Resolvers ask over UDP first and fall back to TCP only for long answers, so a pod
    whose egress admits TCP 53 alone still cannot resolve the tracking host."""
    pods = platform_pods(inventory, platform) if sources is None else sources
    servers = dns_pods(inventory)
    blocked: dict[str, dict[str, Any]] = {}
    for pod in pods:
        udp = [decide(inventory, pod, EGRESS, s, 53, "UDP", s) for s in servers]
        if not udp[0].isolated or any(d.allowed for d in udp):
            continue
        tcp = any(decide(inventory, pod, EGRESS, s, 53, "TCP", s).allowed for s in servers)
        blocked[pod.key] = {"policies": list(udp[0].selecting), "tcp_53_allowed": tcp}
    if not blocked:
        return []
    policies = sorted({p for b in blocked.values() for p in b["policies"]})
    return [PolicyFinding(
        "egress_blocks_dns",
        f"egress policies {', '.join(policies)} isolate {', '.join(blocked)} and no egress rule "
        f"admits UDP port 53 to the cluster DNS ({', '.join(s.key for s in servers)})",
        {"sources": blocked, "policies": policies, "dns": [s.key for s in servers]})]


def analyse(inventory: Inventory, platform: Collection[str],
            targets: Sequence[Target]) -> list[PolicyFinding]:
    found = [f for t in targets for f in (*allows_outsiders(inventory, platform, t),
                                          *blocks_platform(inventory, platform, t))]
    return found + blocks_dns(inventory, platform)
