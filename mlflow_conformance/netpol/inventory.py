"""What the evaluator knows about a cluster: namespaces, pods, Services and policies, as read
from the API or from manifests. Lookups only; the semantics live in evaluate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import Namespace, Pod, Service
from .policy import NetworkPolicy


@dataclass
class Inventory:
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    policies: list[NetworkPolicy] = field(default_factory=list)

    @classmethod
    def of(cls, policies: Iterable[NetworkPolicy] = (), pods: Iterable[Pod] = (),
           namespaces: Iterable[Namespace] = (), services: Iterable[Service] = ()) -> Inventory:
        return cls({n.name: n for n in namespaces}, list(pods), list(services), list(policies))

    def namespace(self, name: str) -> Namespace:
        """A namespace no object describes still has its automatic name label."""
        return self.namespaces.get(name) or Namespace(name)

    def selecting(self, pod: Pod, direction: str) -> list[NetworkPolicy]:
        """The policies that isolate the pod in this direction (a policy applies to pods of its
        own namespace only)."""
        return [p for p in self.policies
                if p.namespace == pod.namespace and direction in p.policy_types
                and p.pod_selector.matches(pod.labels)]

    def backends(self, service: Service) -> list[Pod]:
        return [p for p in self.pods if service.backs(p)]

    def service(self, namespace: str, name: str) -> Service | None:
        return next((s for s in self.services if s.namespace == namespace and s.name == name),
                    None)

    def merged(self, other: Inventory) -> Inventory:
        return Inventory({**self.namespaces, **other.namespaces}, [*self.pods, *other.pods],
                         [*self.services, *other.services], [*self.policies, *other.policies])
