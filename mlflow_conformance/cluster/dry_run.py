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

from ..deployment import Deployment
from .kube import Kube
from .probe_pods import ProbeObjects

SCHEMA_VERSION = "1.37.0"  # the Kubernetes version whose schemas kubernetes-validate ships


def plan(pods: ProbeObjects, deployment: Deployment, namespaces: Iterable[str], timeout: float,
         prefix: str, outsider: str | None = None) -> list[dict[str, Any]]:
    """What a full run creates: the probe code per job namespace, connectivity from each,
    S3 and versions from a driver and an executor in the first (as the fixtures run them),
    and the isolation check's pod in the outsider namespace."""
    from ..probes.runner import connectivity_inputs
    from ..storage import s3_matrix  # imports Spark's helpers: only when planning

    chosen = list(namespaces)
    documents = [pods.code_manifest(ns) for ns in chosen]
    for namespace in chosen:
        documents += pods.manifests("connectivity", connectivity_inputs(deployment, timeout),
                                    namespace, "driver")
    for role in ("driver", "executor"):
        check = s3_matrix.inputs(deployment, f"{prefix}s3/{role}/", "write", "environment",
                                 timeout)
        documents += pods.manifests("s3", {"checks": [check]}, chosen[0], role)
        documents += pods.manifests("versions", connectivity_inputs(deployment, timeout),
                                    chosen[0], role)
    if outsider is not None:  # the isolation check's observer outside the platform
        if outsider not in chosen:
            documents.append(pods.code_manifest(outsider))
        documents += pods.manifests("connectivity", connectivity_inputs(deployment, timeout),
                                    outsider, "outsider")
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
