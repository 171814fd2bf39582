"""Findings observed from several job namespaces, folded into one per check: a check passes
only where it passes from every namespace the platform runs jobs in (a Spark job may run in
any of them), and a failure says from where it was seen."""

from __future__ import annotations

from collections.abc import Mapping

from ..findings import Finding, Findings, Outcome


def across_namespaces(by_namespace: Mapping[str, Findings]) -> Findings:
    if not by_namespace:
        raise ValueError("observed from no namespace: an empty observation is no verdict")
    first = next(iter(by_namespace.values()))
    folded: dict[str, Finding] = {}
    for step in first:
        seen = {ns: findings[step] for ns, findings in by_namespace.items()}
        worst_ns, worst = max(seen.items(), key=lambda item: item[1].outcome.rank)
        evidence = {**worst.evidence, "namespace": worst_ns,
                    "by_namespace": {ns: f.code for ns, f in seen.items()}}
        message = worst.message if len(seen) == 1 else f"from namespace {worst_ns}: {worst.message}"
        if worst.outcome is Outcome.PASS and len(seen) > 1:
            message = f"from {len(seen)} namespaces ({', '.join(seen)}): {worst.message}"
        folded[step] = Finding(worst.outcome, worst.code, message, evidence, worst.remedy)
    return Findings(first.source, folded)
