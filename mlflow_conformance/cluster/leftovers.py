"""What runs left on a cluster (a killed run's probe pods, their Secrets and ConfigMaps),
found by the labels every object the harness creates carries, and removed. `sweep --cluster`
and the end of a run both use it."""

from __future__ import annotations

from collections.abc import Iterable

from ..cleanup.ledger import Entry, Removal
from . import manifests
from .kube import Kube, status_of

KINDS = (("pod", "pod"), ("secret", "secret"), ("configmap", "config_map"))


def managed_selector(run_ids: Iterable[str] | None = None) -> str:
    """Harness-made objects (of these runs only, when given)."""
    base = ",".join(f"{k}={v}" for k, v in manifests.MANAGED_BY.items())
    chosen = sorted(set(run_ids or ()))
    if chosen:
        return f"{base},{manifests.RUN_LABEL} in ({','.join(chosen)})"
    return base


def find(kube: Kube, namespaces: Iterable[str], run_ids: Iterable[str] | None = None
         ) -> list[Entry]:
    selector = managed_selector(run_ids)
    found = []
    for namespace in dict.fromkeys(namespaces):
        for kind, api_name in KINDS:
            listed = getattr(kube.core, f"list_namespaced_{api_name}")(
                namespace, label_selector=selector, **kube.bound)
            for item in listed.items:
                meta = item.metadata
                found.append(Entry("k8s_object", f"{kind}/{namespace}/{meta.name}",
                                   (meta.labels or {}).get(manifests.RUN_LABEL, "?"),
                                   {"object_kind": kind, "namespace": namespace,
                                    "name": meta.name}))
    return found


def remove(kube: Kube, entries: Iterable[Entry]) -> Removal:
    outcome = Removal()
    for entry in entries:
        kind = entry.details["object_kind"]
        api_name = dict(KINDS)[kind]
        try:
            getattr(kube.core, f"delete_namespaced_{api_name}")(
                entry.details["name"], entry.details["namespace"], grace_period_seconds=0,
                **kube.bound)
        except Exception as exc:  # noqa: BLE001 - one failure must not keep the rest
            if status_of(exc) != 404:
                outcome.failed.append((entry, f"{type(exc).__name__}: {exc}"[:300]))
                continue
        outcome.removed.append(entry)
    return outcome
