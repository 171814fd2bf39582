"""The NetworkPolicy semantics: a connection is allowed when the source's egress AND the
destination's ingress allow it. A pod no policy selects for a direction is not isolated in
that direction; once one does, only the union of the selecting policies' rules admits.

A Service is answered through its backing pods and their target ports, as the policies see
the connection after the ClusterIP is translated.
"""

from __future__ import annotations

from .inventory import Inventory
from .matching import peer_admits, port_admits
from .model import Endpoint, Pod, Service
from .policy import EGRESS, INGRESS
from .verdict import Decision, RuleRef, Verdict


def decide(inventory: Inventory, subject: Pod, direction: str, other: Endpoint, port: int,
           protocol: str, destination: Endpoint) -> Decision:
    """One direction at ``subject`` (the destination for ingress, the source for egress)."""
    selecting = inventory.selecting(subject, direction)
    other_namespace = (inventory.namespace(other.namespace).label_map()
                       if isinstance(other, Pod) else {})
    allowed_by: list[RuleRef] = []
    misses: list[str] = []
    for policy in selecting:
        rules = policy.rules(direction)
        if not rules:
            misses.append(f"{policy.key}: no {direction.lower()} rules (denies all)")
        for index, rule in enumerate(rules):
            peer = peer_admits(rule, policy.namespace, other, other_namespace)
            ported = port_admits(rule, port, protocol, destination)
            if peer and ported:
                allowed_by.append(RuleRef(policy.key, direction, index))
            else:
                wrong = " and ".join(w for w, ok in (("peer", peer), ("port", ported)) if not ok)
                misses.append(f"{policy.key} {direction.lower()} rule {index}: {wrong} not "
                              "admitted")
    return Decision(direction, subject.key, not selecting or bool(allowed_by),
                    tuple(p.key for p in selecting), tuple(allowed_by), tuple(misses))


def evaluate(inventory: Inventory, source: Endpoint, destination: Endpoint | Service,
             port: int, protocol: str = "TCP") -> Verdict:
    if isinstance(destination, Service):
        return _via_service(inventory, source, destination, port, protocol)
    egress = (decide(inventory, source, EGRESS, destination, port, protocol, destination)
              if isinstance(source, Pod) else None)
    ingress = (decide(inventory, destination, INGRESS, source, port, protocol, destination)
               if isinstance(destination, Pod) else None)
    allowed = all(d.allowed for d in (egress, ingress) if d is not None)
    return Verdict(source.key, destination.key, port, protocol, allowed, egress, ingress)


def _via_service(inventory: Inventory, source: Endpoint, service: Service, port: int,
                 protocol: str) -> Verdict:
    """Allowed when every backend admits it (a ClusterIP balances over all of them)."""
    def denied(note: str) -> Verdict:
        return Verdict(source.key, f"service {service.key}", port, protocol, False, note=note)

    service_port = service.port(port, protocol)
    if service_port is None:
        return denied(f"service {service.key} has no port {port}/{protocol}")
    backends = []
    for pod in inventory.backends(service):
        target = service_port.target
        # The endpoints controller leaves out pods that do not declare a named targetPort.
        number = target if isinstance(target, int) else pod.named_port(target, protocol)
        if number is not None:
            backends.append(evaluate(inventory, source, pod, number, protocol))
    if not backends:
        return denied(f"service {service.key} port {port}/{protocol} has no backing pod "
                      f"(selector {dict(service.selector)}, targetPort {service_port.target})")
    return Verdict(source.key, f"service {service.key}", port, protocol,
                   all(b.allowed for b in backends), backends=tuple(backends))
