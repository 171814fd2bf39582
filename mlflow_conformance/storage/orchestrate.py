"""Orchestration of the storage checks: the refusal matrix and the artifact round trips, each
ending in a Finding (collection in s3_matrix / roundtrip, judgement in s3_access / artifacts)."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from mlflow_conformance.cleanup.removal import s3_client
from mlflow_conformance.spark.executors import ExecutorError, failure, run_in_task

from .. import tls
from ..deployment import Deployment
from ..findings import Finding, Outcome
from . import artifact_roundtrip as roundtrip
from . import artifacts, s3_access, s3_matrix

Record = Callable[..., Any]
INVENTORY_LIMIT = 5000


def refusal_results(deployment: Deployment, prefix: str, timeout: float
                    ) -> list[tuple[str, str, dict[str, Any]]]:
    """The declared read-only and no-access identities, and anonymous requests, each trying
    the operations of its plan; reads go to an object the driver identity wrote."""
    refused = [i for i in deployment.other_identities if i.expected_access in ("read", "none")]
    refused.append(s3_matrix.ANONYMOUS)
    shared_key = f"{prefix}s3/shared.bin"
    s3_client(deployment, deployment.driver_identity, timeout).put_object(
        Bucket=deployment.bucket, Key=shared_key, Body=b"shared object for refusal checks")
    checks = [s3_matrix.inputs(deployment, f"{prefix}s3/refusal-{i.name}/", i.expected_access,
                               s3_matrix.credentials(i), timeout, shared_key) for i in refused]
    results = s3_matrix.on_driver(checks, timeout)
    return [(i.name, i.expected_access, r) for i, r in zip(refused, results, strict=True)]


def refusals(deployment: Deployment, prefix: str, timeout: float) -> Finding:
    """judge_refusals over refusal_results; a driver that cannot even write the shared object
    leaves the refusals unchecked (STO-001 names why)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        results = refusal_results(deployment, prefix, timeout)
    except (BotoCoreError, ClientError) as exc:
        error = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        found = tls.classify(exc, "s3", deployment.s3_endpoint, timeout)
        code = found.code if found else s3_access.classify({"op": "put_object",
                                                            "error_code": error})
        return Finding(Outcome.ERROR, code, f"the driver identity could not write the object "
                       f"the refusal checks read ({error}): {exc}", {"error_code": error},
                       found.remedy if found else s3_access.REMEDIES[code])
    return s3_access.judge_refusals(results)


def artifact_inventory_of(client: Any, limit: int = INVENTORY_LIMIT) -> dict[str, Any]:
    from mlflow.entities import ViewType

    found: list[tuple[str, str, str]] = []
    token = None
    while True:
        page = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=1000,
                                         page_token=token)
        found += [(e.experiment_id, e.name, e.artifact_location) for e in page]
        token = page.token
        if not token or len(found) >= limit:
            break
    return artifacts.inventory(found, truncated=bool(token))


def driver_round_trip(client: Any, scheme: str, bucket: str | None, run_id: str,
                      record: Record) -> Finding:
    try:
        run = roundtrip.start_run(client, scheme, bucket, run_id, record)
    except Exception as exc:  # noqa: BLE001 - the failure is the finding
        code, text, remedy = artifacts.classify(exc)
        return Finding(Outcome.FAIL, code, f"driver, {scheme}: could not create the "
                       f"experiment and run: {text}", {"scheme": scheme}, remedy)
    with tempfile.TemporaryDirectory() as workdir:
        evidence = roundtrip.transfer(client, run.info.run_id, "driver", workdir)
    evidence.update(scheme=scheme, artifact_uri=run.info.artifact_uri)
    try:
        roundtrip.discard(run.info.artifact_uri)
    except Exception as exc:  # noqa: BLE001 - cleanup trouble is evidence, not the verdict
        evidence["cleanup_error"] = artifacts.classify(exc)[1]
    return roundtrip.judge(evidence, f"driver, {scheme}")


def driver_round_trips(client: Any, deployment: Deployment, inventory: Mapping[str, Any],
                       record: Record, run_id: str) -> Finding:
    schemes = artifacts.schemes_in_use(inventory, deployment.artifact_root, deployment.bucket)
    return combine({scheme: driver_round_trip(client, scheme, deployment.bucket, run_id, record)
                    for scheme in schemes})


def executor_round_trip(client: Any, deployment: Deployment, spark: Any, record: Record,
                        run_id: str, overrides: Mapping[str, str] | None = None) -> Finding:
    """An s3:// run created on the driver; its artifacts logged and read inside a task."""
    run = roundtrip.start_run(client, "s3", deployment.bucket, run_id, record)
    observe = functools.partial(roundtrip.in_executor, run.info.run_id, "executor",
                                dict(overrides or {}))
    try:
        evidence = run_in_task(spark, observe, roundtrip, artifacts, s3_access)
    except ExecutorError as exc:
        return failure(exc, "artifact round trip on an executor")
    evidence.update(scheme="s3", artifact_uri=run.info.artifact_uri)
    return roundtrip.judge(evidence, "executor, s3")


def combine(findings: Mapping[str, Finding]) -> Finding:
    """One finding over several schemes: the worst outcome, every scheme in the evidence."""
    if not findings:
        return Finding(Outcome.SKIP, "skipped", "no artifact scheme to round-trip")
    worst = max(findings.values(), key=lambda f: f.outcome.rank)
    evidence = {scheme: f.to_dict() for scheme, f in sorted(findings.items())}
    message = worst.message if worst.outcome is not Outcome.PASS else "; ".join(
        f.message for f in findings.values())
    return Finding(worst.outcome, worst.code, message, evidence, worst.remedy)
