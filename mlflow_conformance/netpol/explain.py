"""`netpol explain`'s engine: one connection question answered from manifest files, with the
verdict and the rule that decided it, in lines to print."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .evaluate import evaluate
from .inventory import Inventory
from .label_selector import describe_labels
from .loading import load_files
from .model import Endpoint, External, Pod, Service
from .spec import EndpointSpec, SpecError, parse_spec
from .verdict import Decision, Verdict


def endpoint(spec: EndpointSpec, inventory: Inventory, destination: bool = False
             ) -> Endpoint | Service:
    if spec.ip is not None:
        return External(spec.ip)
    if spec.service is not None:
        service = inventory.service(spec.namespace, spec.service)
        if service is None:
            raise SpecError(f"{spec.text!r}: no Service {spec.namespace}/{spec.service} in the "
                            "files")
        return service
    ports: dict[str, tuple[int, str]] = {}
    if destination:  # named policy ports resolve against the pods these labels describe
        for pod in inventory.pods:
            if pod.namespace == spec.namespace and spec.labels.items() <= pod.labels.items():
                ports.update(pod.container_ports)
    return Pod(spec.namespace, describe_labels(spec.labels) or "(no labels)", dict(spec.labels),
               container_ports=ports)


def explain(from_spec: str, to_spec: str, port: int, files: Iterable[str | Path],
            protocol: str = "TCP", default_namespace: str = "default"
            ) -> tuple[Verdict, list[str]]:
    """Raises SpecError for a bad spec, InvalidObject for bad files, OSError for unreadable
    ones."""
    source_spec, target_spec = parse_spec(from_spec), parse_spec(to_spec)
    if source_spec.service is not None:
        raise SpecError(f"{from_spec!r}: a Service is not a source; name its pods' labels")
    if not 1 <= port <= 65535:
        raise SpecError(f"port {port} is not in 1-65535")
    inventory = load_files(files, default_namespace)
    source = endpoint(source_spec, inventory)
    assert not isinstance(source, Service)
    verdict = evaluate(inventory, source, endpoint(target_spec, inventory, destination=True),
                       port, protocol)
    return verdict, explanation_lines(verdict)


def explanation_lines(verdict: Verdict) -> list[str]:
    head = "ALLOWED" if verdict.allowed else "DENIED"
    lines = [f"{head}: {verdict.source} -> {verdict.destination} port "
             f"{verdict.port}/{verdict.protocol}"]
    if verdict.deciding is not None:
        lines.append(f"  deciding rule: {verdict.deciding.describe()}")
    if verdict.note:
        return [*lines, f"  {verdict.note}"]
    for backend in verdict.backends:
        lines.append(f"  backend {backend.destination} port {backend.port}/{backend.protocol}: "
                     f"{'allowed' if backend.allowed else 'denied'}")
        lines += [f"  {line}" for line in _decision_lines(backend)]
    return lines + _decision_lines(verdict)


def _decision_lines(verdict: Verdict) -> list[str]:
    lines = []
    decisions: list[Decision] = [d for d in (verdict.ingress, verdict.egress) if d is not None]
    for decision in sorted(decisions, key=lambda d: d.allowed):
        lines.append(f"  {decision.reason()}")
        if not decision.allowed:
            lines += [f"    {miss}" for miss in decision.misses]
    if not verdict.backends:  # a Service's verdict has its backends' decisions, not its own
        if verdict.egress is None:
            lines.append("  egress: the source is outside the cluster: no policy applies")
        if verdict.ingress is None:
            lines.append("  ingress: the destination is outside the cluster: no policy applies")
    return lines
