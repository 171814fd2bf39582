"""`--dry-run`: every manifest the run would apply, written and validated, nothing created.

Validated twice where possible: always against the official Kubernetes schemas (strict:
unknown fields refused), and by the API server itself (`dryRun=All`) when it answers. What
could not be reached is said, not skipped over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .kube import Kube
from .probe_plan import ProbePlan
from .probe_pods import ProbeObjects

SCHEMA_VERSION = "1.37.0"  # the Kubernetes version whose schemas kubernetes-validate ships


def plan(pods: ProbeObjects, probes: ProbePlan) -> list[dict[str, Any]]:
    """What a full run creates: the probe code in each namespace a pod runs in, then every
    probe pod of the run's table (cluster/probe_plan.py), as the fixtures run them."""
    jobs = list(probes.every())
    namespaces = dict.fromkeys(namespace for _, _, namespace, _ in jobs)
    documents = [pods.code_manifest(ns) for ns in namespaces]
    for probe, inputs, namespace, role in jobs:
        documents += pods.manifests(probe, inputs, namespace, role)
    return documents


def schema_problem(document: dict[str, Any]) -> str | None:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(document, SCHEMA_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return str(exc).splitlines()[0]
    return None


def server_verdict(kube: Kube | None, document: dict[str, Any]) -> str:
    if kube is None:
        return "not tried: the API server is unreachable"
    kind = {"Pod": "pod", "Secret": "secret", "ConfigMap": "config_map"}[document["kind"]]
    create = getattr(kube.core, f"create_namespaced_{kind}")
    try:
        create(document["metadata"]["namespace"], document, dry_run="All", **kube.bound)
    except Exception as exc:  # noqa: BLE001 - the refusal is the answer
        reason = getattr(exc, "reason", None) or type(exc).__name__
        body = getattr(exc, "body", None) or str(exc)
        return f"refused: {reason}: {str(body)[:300]}"
    return "accepted"


def write(documents: Iterable[dict[str, Any]], kube: Kube | None, folder: Path,
          scrub: Any) -> list[dict[str, Any]]:
    """Write each manifest (scrubbed of secrets) and say what each validation found."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, document in enumerate(documents):
        meta = document["metadata"]
        name = f"{index:02d}-{document['kind'].lower()}-{meta['name']}.yaml"
        (folder / name).write_text(scrub(yaml.safe_dump(document, sort_keys=False)))
        problem = schema_problem(document)
        written.append({"file": name, "kind": document["kind"], "name": meta["name"],
                        "namespace": meta.get("namespace"),
                        "schema": "valid" if problem is None else f"invalid: {problem}",
                        "server_dry_run": server_verdict(kube, document)})
    return written


def problems(described: Mapping[str, Any]) -> list[str]:
    """Manifests a real run would have had refused: invalid, or refused by the server."""
    return [f"{m['file']}: {m['schema']}" if m["schema"] != "valid" else
            f"{m['file']}: server {m['server_dry_run']}"
            for m in described.get("manifests") or []
            if m["schema"] != "valid" or str(m["server_dry_run"]).startswith("refused")]
