"""Collecting the S3 permission matrix: the s3 probe as a driver subprocess and inside an
executor task, with inputs built from the Deployment (secrets travel on stdin only)."""

from __future__ import annotations

import functools
from typing import Any

from mlflow_conformance.spark.executors import run_in_task

from ..deployment import Deployment, S3Identity
from ..probes import s3 as probe
from ..probes.runner import run_probe

LARGE_BYTES = 20 * 1024 * 1024
ANONYMOUS = S3Identity("anonymous", "(anonymous)", "", "none")


def credentials(identity: S3Identity | None) -> Any:
    """Probe credentials: explicit keys, anonymous, or (None) the process environment."""
    if identity is None:
        return "environment"
    if identity is ANONYMOUS:
        return "anonymous"
    return {"access_key": identity.access_key, "secret_key": identity.secret_key}


def inputs(deployment: Deployment, prefix: str, plan: str, creds: Any, timeout: float,
           shared_key: str | None = None, large_bytes: int = LARGE_BYTES) -> dict[str, Any]:
    # ca_bundle: --s3-ca-bundle, a local path; a probe pod gets the file itself (manifests).
    return {"endpoint": deployment.s3_endpoint, "bucket": deployment.bucket, "prefix": prefix,
            "plan": plan, "credentials": creds, "timeout": timeout, "shared_key": shared_key,
            "large_bytes": large_bytes, "ca_bundle": deployment.s3_ca_bundle}


def on_driver(checks: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
    """Run the probe once for several checks; bounded by the per-operation timeout."""
    operations = sum(len(probe.PLANS[c["plan"]]) for c in checks)
    result = run_probe("s3", {"checks": checks}, timeout=operations * 2 * timeout + 30)
    return list(result["checks"])


def on_executor(spark: Any, check: dict[str, Any]) -> dict[str, Any]:
    """Run the probe inside one Spark task (raises executors.ExecutorError)."""
    return dict(run_in_task(spark, functools.partial(probe.run, check), probe))


def name_of(access_key: str | None, deployment: Deployment) -> str:
    """Which declared identity a key belongs to (executors report only the key they saw)."""
    for identity in deployment.identities:
        if identity.access_key == access_key:
            return identity.name
    return "undeclared"
