"""Shared objects of the NetworkPolicy evaluator tests: a small cluster in the shape of the
Kubernetes documentation's examples, and policies written as the API writes them."""

from __future__ import annotations

from typing import Any

from mlflow_conformance.netpol.inventory import Inventory
from mlflow_conformance.netpol.model import External, Namespace, Pod
from mlflow_conformance.netpol.policy import NetworkPolicy, parse_policy

NAMESPACES = [Namespace("default"), Namespace("myproject", {"project": "myproject"}),
              Namespace("alice", {"user": "alice"}), Namespace("bob", {"user": "bob"})]
FRONTEND = Pod("default", "frontend", {"role": "frontend"}, "10.1.0.1")
DB = Pod("default", "db", {"role": "db"}, "10.1.0.2", {"redis": (6379, "TCP")})
OTHER = Pod("default", "other", {"role": "other"}, "10.1.0.3")
PROJECT_POD = Pod("myproject", "worker", {"role": "worker"}, "10.1.1.1")
ALICE_CLIENT = Pod("alice", "client", {"role": "client"}, "10.1.2.1")
ALICE_WEB = Pod("alice", "web", {"role": "web"}, "10.1.2.2")
BOB_CLIENT = Pod("bob", "client", {"role": "client"}, "10.1.3.1")
# "unknown" has no Namespace object: only its automatic name label.
STRAY = Pod("unknown", "stray", {"role": "frontend"}, "10.1.4.1")
PODS = [FRONTEND, DB, OTHER, PROJECT_POD, ALICE_CLIENT, ALICE_WEB, BOB_CLIENT, STRAY]
INSIDE_BLOCK, EXCEPTED, OUTSIDE = External("172.17.0.5"), External("172.17.1.5"), \
    External("10.0.0.5")


def netpol(name: str, spec: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def inventory(*policies: dict[str, Any] | NetworkPolicy, pods: list[Pod] | None = None,
              **kwargs: Any) -> Inventory:
    parsed = [p if isinstance(p, NetworkPolicy) else parse_policy(p) for p in policies]
    return Inventory.of(parsed, PODS if pods is None else pods, NAMESPACES, **kwargs)
