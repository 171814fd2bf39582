"""The ends of a connection: pods (or workload templates standing in for them), the
namespaces they live in, Services in front of them, and addresses outside the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PROTOCOLS = ("TCP", "UDP", "SCTP")
# Set by the API server on every namespace (1.21+); namespaceSelectors commonly match on it.
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def label_map(self) -> dict[str, str]:
        """The labels a namespaceSelector sees: the automatic name label is there even when a
        manifest (or an older cluster's dump) does not list it."""
        return {**self.labels, NAME_LABEL: self.name}


@dataclass(frozen=True)
class Pod:
    """A pod, or a pseudo-pod (a workload's template, a spec given on the command line)."""

    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    # Named container ports only: a numeric policy port needs no declaration on the pod.
    container_ports: Mapping[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def named_port(self, name: str, protocol: str) -> int | None:
        found = self.container_ports.get(name)
        return found[0] if found and found[1] == protocol else None


@dataclass(frozen=True)
class External:
    """An address outside the cluster: only ipBlock peers (or "from/to anywhere") match it."""

    ip: str

    @property
    def key(self) -> str:
        return self.ip


Endpoint = Pod | External


@dataclass(frozen=True)
class ServicePort:
    port: int
    target: int | str  # targetPort: a number, or a container port's name on each backend
    protocol: str = "TCP"
    name: str = ""


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    selector: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[ServicePort, ...] = ()
    cluster_ip: str | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def port(self, number: int, protocol: str) -> ServicePort | None:
        return next((p for p in self.ports if p.port == number and p.protocol == protocol), None)

    def backs(self, pod: Pod) -> bool:
        """A selector-less Service has hand-made Endpoints, which no manifest here describes."""
        return (pod.namespace == self.namespace and bool(self.selector)
                and all(pod.labels.get(k) == v for k, v in self.selector.items()))
