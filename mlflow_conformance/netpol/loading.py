"""An Inventory from manifests: multi-document YAML or JSON (`helm template` output,
`kubectl get -o yaml` Lists with items). Kinds other than Namespace, Pod, Service,
NetworkPolicy and the workloads are skipped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidObject
from .inventory import Inventory
from .policy import parse_policy
from .resources import WORKLOADS, parse_namespace, parse_pod, parse_service, parse_workload


def objects_in(documents: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    """Every object, with List objects (kind List, or any *List) opened up."""
    for doc in documents:
        if not isinstance(doc, Mapping):
            continue  # empty documents between `---`, comments-only files
        if isinstance(doc.get("items"), list) and str(doc.get("kind", "List")).endswith("List"):
            yield from objects_in(doc["items"])
        elif "kind" in doc:
            yield doc


def inventory_of(objects: Iterable[Mapping[str, Any]],
                 default_namespace: str = "default") -> Inventory:
    """``default_namespace`` stands in for a missing metadata.namespace, as in `helm template`
    output rendered without --namespace."""
    found = Inventory()
    for obj in objects:
        kind = obj.get("kind")
        if kind == "Namespace":
            namespace = parse_namespace(obj)
            found.namespaces[namespace.name] = namespace
        elif kind == "Pod":
            found.pods.append(parse_pod(obj, default_namespace))
        elif kind in WORKLOADS:
            found.pods.append(parse_workload(obj, default_namespace))
        elif kind == "Service":
            found.services.append(parse_service(obj, default_namespace))
        elif kind == "NetworkPolicy":
            found.policies.append(parse_policy(obj, default_namespace))
    return found


def load_files(paths: Iterable[str | Path], default_namespace: str = "default") -> Inventory:
    """Raises OSError for an unreadable file and InvalidObject for bad YAML or objects."""
    objects: list[Mapping[str, Any]] = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        try:  # JSON is YAML; one parser reads both
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise InvalidObject(f"{path}{where}: not YAML or JSON "
                                f"({getattr(exc, 'problem', None) or exc})") from None
        objects.extend(objects_in(documents))
    return inventory_of(objects, default_namespace)
