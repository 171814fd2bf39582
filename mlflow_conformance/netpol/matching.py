"""Whether one peer entry admits the other end, and whether one ports entry admits the port.

"The other end" is the source for an ingress rule and the destination for an egress rule.
Named ports always resolve against the destination pod: that is where the port is open.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import Endpoint, External, Pod
from .policy import PolicyPort, Rule


def peer_admits(rule: Rule, policy_namespace: str, other: Endpoint,
                namespace_labels: Mapping[str, str]) -> bool:
    """No peers: every source or destination, in or outside the cluster."""
    if not rule.peers:
        return True
    for peer in rule.peers:
        if peer.ip_block is not None:
            # Pod IPs may be rewritten on the way (implementation-defined in the docs);
            # this model matches a pod's own IP, and a pseudo-pod without one matches none.
            ip = other.ip
            if ip is not None and peer.ip_block.contains(ip):
                return True
            continue
        if isinstance(other, External):
            continue  # selectors select pods, never outside addresses
        if peer.namespace_selector is None:
            in_scope = other.namespace == policy_namespace  # podSelector alone: own namespace
        else:
            in_scope = peer.namespace_selector.matches(namespace_labels)
        if in_scope and (peer.pod_selector is None or peer.pod_selector.matches(other.labels)):
            return True
    return False


def port_admits(rule: Rule, port: int, protocol: str, destination: Endpoint) -> bool:
    """No ports entries: every port of every protocol."""
    return not rule.ports or any(_entry_admits(p, port, protocol, destination)
                                 for p in rule.ports)


def _entry_admits(entry: PolicyPort, port: int, protocol: str, destination: Endpoint) -> bool:
    if entry.protocol != protocol:
        return False
    if entry.port is None:
        return True
    if isinstance(entry.port, str):
        named = destination.named_port(entry.port, protocol) if isinstance(destination, Pod) \
            else None
        return named == port
    if entry.end_port is not None:
        return entry.port <= port <= entry.end_port
    return entry.port == port
