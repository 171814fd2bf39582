"""A NetworkPolicy (networking.k8s.io/v1) parsed and validated like the API server does,
with policyTypes defaulted as the API server defaults them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidObject
from .label_selector import LabelSelector, parse_selector
from .model import PROTOCOLS

INGRESS, EGRESS = "Ingress", "Egress"
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$")  # IANA_SVC_NAME


@dataclass(frozen=True)
class IPBlock:
    cidr: str
    excepts: tuple[str, ...] = ()

    def contains(self, ip: str) -> bool:
        address = ipaddress.ip_address(ip)
        return (address in ipaddress.ip_network(self.cidr, strict=False)
                and not any(address in ipaddress.ip_network(e, strict=False)
                            for e in self.excepts))


@dataclass(frozen=True)
class Peer:
    """One from/to entry. Both selectors in one entry are an AND; None means "not given"."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def describe(self) -> str:
        if self.ip_block is not None:
            excepts = f" except {','.join(self.ip_block.excepts)}" if self.ip_block.excepts else ""
            return f"ipBlock {self.ip_block.cidr}{excepts}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {self.namespace_selector.describe()}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {self.pod_selector.describe()}")
        return " AND ".join(parts)


@dataclass(frozen=True)
class PolicyPort:
    protocol: str = "TCP"
    port: int | str | None = None  # None: every port of the protocol
    end_port: int | None = None

    def describe(self) -> str:
        if self.port is None:
            return f"any/{self.protocol}"
        span = f"{self.port}-{self.end_port}" if self.end_port is not None else f"{self.port}"
        return f"{span}/{self.protocol}"


@dataclass(frozen=True)
class Rule:
    """Empty peers: every source (destination); empty ports: every port and protocol."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()


@dataclass(frozen=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[str]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress


def parse_policy(obj: Mapping[str, Any], default_namespace: str = "default") -> NetworkPolicy:
    meta = obj.get("metadata") or {}
    namespace = str(meta.get("namespace") or default_namespace)
    where = f"NetworkPolicy {namespace}/{meta.get('name')}"
    if not meta.get("name"):
        raise InvalidObject(f"{where}: metadata.name is missing")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        raise InvalidObject(f"{where}: spec is missing")
    ingress = tuple(_rule(r, "from", f"{where} spec.ingress[{i}]")
                    for i, r in enumerate(spec.get("ingress") or ()))
    egress = tuple(_rule(r, "to", f"{where} spec.egress[{i}]")
                   for i, r in enumerate(spec.get("egress") or ()))
    types = spec.get("policyTypes") or []
    if not types:  # the API server's default: Ingress always, Egress when there are rules
        types = [INGRESS, *([EGRESS] if egress else [])]
    for kind in types:
        if kind not in (INGRESS, EGRESS):
            raise InvalidObject(f"{where} spec.policyTypes: {kind!r} is not Ingress or Egress")
    return NetworkPolicy(namespace, str(meta["name"]),
                         parse_selector(spec.get("podSelector"), f"{where} spec.podSelector"),
                         frozenset(types), ingress, egress)


def _rule(data: Any, peers_key: str, where: str) -> Rule:
    if not isinstance(data, Mapping):
        raise InvalidObject(f"{where}: a rule must be an object")
    peers = tuple(_peer(p, f"{where}.{peers_key}[{i}]")
                  for i, p in enumerate(data.get(peers_key) or ()))
    ports = tuple(_port(p, f"{where}.ports[{i}]") for i, p in enumerate(data.get("ports") or ()))
    return Rule(peers, ports)


def _peer(data: Any, where: str) -> Peer:
    if not isinstance(data, Mapping):
        raise InvalidObject(f"{where}: a peer must be an object")
    pods, namespaces, block = (data.get(k) for k in ("podSelector", "namespaceSelector",
                                                     "ipBlock"))
    if block is not None:
        if pods is not None or namespaces is not None:
            raise InvalidObject(f"{where}: ipBlock cannot be combined with selectors")
        return Peer(ip_block=_ip_block(block, f"{where}.ipBlock"))
    if pods is None and namespaces is None:
        raise InvalidObject(f"{where}: needs podSelector, namespaceSelector or ipBlock")
    return Peer(None if pods is None else parse_selector(pods, f"{where}.podSelector"),
                None if namespaces is None else parse_selector(namespaces,
                                                                f"{where}.namespaceSelector"))


def _ip_block(data: Any, where: str) -> IPBlock:
    if not isinstance(data, Mapping) or "cidr" not in data:
        raise InvalidObject(f"{where}: needs cidr")
    try:
        network = ipaddress.ip_network(str(data["cidr"]), strict=False)
        excepts = [ipaddress.ip_network(str(e), strict=False) for e in data.get("except") or ()]
    except ValueError as exc:
        raise InvalidObject(f"{where}: {exc}") from None
    for inner in excepts:
        if inner.version != network.version or not inner.subnet_of(network):  # type: ignore[arg-type]
            raise InvalidObject(f"{where}.except: {inner} is not inside {network}")
    return IPBlock(str(data["cidr"]), tuple(str(e) for e in data.get("except") or ()))


def _port(data: Any, where: str) -> PolicyPort:
    if not isinstance(data, Mapping):
        raise InvalidObject(f"{where}: a port must be an object")
    protocol = str(data.get("protocol") or "TCP")
    if protocol not in PROTOCOLS:
        raise InvalidObject(f"{where}.protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    port, end = data.get("port"), data.get("endPort")
    if isinstance(port, bool) or isinstance(end, bool):
        raise InvalidObject(f"{where}: a port is a number or a name, not {port!r}")
    if isinstance(port, str) and port.isdigit():
        port = int(port)  # an IntOrString written as a quoted number
    if isinstance(port, int) and not 1 <= port <= 65535:
        raise InvalidObject(f"{where}.port: {port} is not in 1-65535")
    if isinstance(port, str) and not _PORT_NAME.match(port):
        raise InvalidObject(f"{where}.port: {port!r} is not a port name")
    if port is not None and not isinstance(port, int | str):
        raise InvalidObject(f"{where}.port: {port!r} is neither a number nor a name")
    if end is not None:
        if not isinstance(port, int):
            raise InvalidObject(f"{where}.endPort: needs a numeric port")
        if not isinstance(end, int) or not port <= end <= 65535:
            raise InvalidObject(f"{where}.endPort: {end!r} must be in {port}-65535")
    return PolicyPort(protocol, port, end)
