"""Who the analysers try as sources and DNS servers when the caller names none.

An outsider controls its own pods' labels, so besides the known pods outside the platform it
is tried as a pod without labels and as a pod copying each platform pod's labels, in a
namespace no policy has heard of.
"""

from __future__ import annotations

from collections.abc import Collection

from .inventory import Inventory
from .model import Pod

OUTSIDER_NAMESPACE = "netpol-outsider"
DNS_NAMESPACE, DNS_LABELS = "kube-system", {"k8s-app": "kube-dns"}


def platform_pods(inventory: Inventory, platform: Collection[str]) -> list[Pod]:
    """The known pods of the platform namespaces, and a pod without labels for a platform
    namespace where none is known (Spark pods come and go with the jobs)."""
    pods = [p for p in inventory.pods if p.namespace in platform]
    known = {p.namespace for p in pods}
    return pods + [Pod(ns, "unlabelled-pod") for ns in sorted(platform) if ns not in known]


def outsider_pods(inventory: Inventory, platform: Collection[str],
                  namespace: str = OUTSIDER_NAMESPACE) -> list[Pod]:
    known = [p for p in inventory.pods if p.namespace not in platform]
    copies = {tuple(sorted(p.labels.items())) for p in inventory.pods if p.namespace in platform}
    mimics = [Pod(namespace, f"copy-of-{i}", dict(labels))
              for i, labels in enumerate(sorted(copies)) if labels]
    return [*known, Pod(namespace, "unlabelled-pod"), *mimics]


def dns_pods(inventory: Inventory) -> list[Pod]:
    """The cluster DNS pods, or the usual CoreDNS pod when the objects do not include them."""
    found = [p for p in inventory.pods if p.namespace == DNS_NAMESPACE
             and all(p.labels.get(k) == v for k, v in DNS_LABELS.items())]
    return found or [Pod(DNS_NAMESPACE, "coredns", dict(DNS_LABELS),
                         container_ports={"dns": (53, "UDP"), "dns-tcp": (53, "TCP")})]
