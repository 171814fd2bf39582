"""Artifact round trips through the MLflow client: log a 1 KB and a 20 MB artifact, list,
download, compare, on the driver or inside a Spark task (pickled by value with artifacts.py)."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any

from mlflow_conformance.cleanup.ledger import RUN_TAG, experiment_name, s3_prefix

from ..findings import Finding, Outcome, passed

# Names, not the module: a module object referenced from a function shipped by value is pickled
# with its __loader__, which under pytest's assertion rewriting holds the pytest Config.
from .artifacts import REMEDIES, SIZES, classify

Record = Callable[..., Any]  # ledger.record(kind, ident, **details)
ENV_NAMES = ("MLFLOW_TRACKING_URI", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


def _digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def transfer(client: Any, run_id: str, artifact_path: str, workdir: str,
             sizes: Mapping[str, int] = SIZES) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []

    def step(name: str, action: Callable[[], Any], **evidence: Any) -> Any:
        began = time.monotonic()
        record: dict[str, Any] = {"step": name, **evidence}
        try:
            value = action()
            record["ok"] = True
        except Exception as exc:  # noqa: BLE001 - the failure is the evidence
            value = None
            record["ok"] = False
            record["code"], record["error"], record["remedy"] = classify(exc)
        record["seconds"] = round(time.monotonic() - began, 3)
        steps.append(record)
        return value

    digests, logged = {}, set()
    for name, size in sizes.items():
        path = os.path.join(workdir, name)
        with open(path, "wb") as out:
            out.write(os.urandom(size))
        digests[name] = _digest(path)
        step(f"log {name}", functools.partial(client.log_artifact, run_id, path, artifact_path),
             bytes=size)
        if steps[-1]["ok"]:
            logged.add(name)
    listed = step("list", lambda: {os.path.basename(f.path): f.file_size
                                   for f in client.list_artifacts(run_id, artifact_path)})
    if listed is not None:
        wrong = {n: listed.get(n) for n, size in sizes.items() if listed.get(n) != size}
        if wrong:
            steps[-1].update(ok=False, code="artifact_mismatch",
                             error=f"listing shows sizes {wrong}, expected {dict(sizes)}")
    for name in sorted(logged):
        target = os.path.join(workdir, "down")
        got = step(f"download {name}", functools.partial(
            client.download_artifacts, run_id, f"{artifact_path}/{name}", target),
            bytes=sizes[name])
        if got is not None and _digest(got) != digests[name]:
            steps[-1].update(ok=False, code="artifact_mismatch",
                             error=f"{name} downloaded differs from what was logged")
    return {"run_id": run_id, "artifact_path": artifact_path, "steps": steps}


def in_executor(run_id: str, artifact_path: str, overrides: Mapping[str, str]) -> dict[str, Any]:
    """The transfer inside a Spark task, with the environment the executor was given
    (``overrides`` replace variables for this task only: fault injection)."""
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        forget_s3_clients()
        from mlflow.tracking import MlflowClient

        with tempfile.TemporaryDirectory() as workdir:
            result = transfer(MlflowClient(), run_id, artifact_path, workdir)
        result["environment"] = {key: key in os.environ for key in ENV_NAMES}
        result["access_key"] = os.environ.get("AWS_ACCESS_KEY_ID")
        return result
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        forget_s3_clients()


def forget_s3_clients() -> None:
    # MLflow caches boto3 clients, and boto3's default session the credentials it resolved:
    # both would keep the environment of their first use.
    import boto3
    from mlflow.store.artifact import s3_artifact_repo

    s3_artifact_repo._cached_get_s3_client.cache_clear()
    boto3.DEFAULT_SESSION = None


def location(scheme: str, bucket: str | None, run_id: str) -> str:
    """An artifact location of this scheme under the run's harness-owned prefix."""
    if scheme == "s3":
        return f"s3://{bucket}/{s3_prefix(run_id)}artifacts"
    return f"{scheme}:/{s3_prefix(run_id)}artifacts"


def start_run(client: Any, scheme: str, bucket: str | None, run_id: str, record: Record
              ) -> Any:
    """An experiment with a ``scheme`` location and a run in it, both in the ledger."""
    if scheme == "s3":
        record("s3_prefix", f"{bucket}/{s3_prefix(run_id)}")
    name = experiment_name(run_id, f"artifacts-{scheme}")
    found = client.get_experiment_by_name(name)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        experiment_id = client.create_experiment(
            name, artifact_location=location(scheme, bucket, run_id), tags={RUN_TAG: run_id})
        record("experiment", experiment_id, name=name)
    run = client.create_run(experiment_id, tags={RUN_TAG: run_id})
    record("run", run.info.run_id, experiment_id=experiment_id)
    return run


def judge(evidence: Mapping[str, Any], where: str) -> Finding:
    failed = [s for s in evidence["steps"] if not s["ok"]]
    if not failed:
        moved = sum(s.get("bytes", 0) for s in evidence["steps"] if s["step"].startswith("log"))
        return passed(f"{where}: logged, listed, downloaded and compared "
                      f"{len(SIZES)} artifacts ({moved} bytes)", **evidence)
    first = failed[0]
    code = first["code"]
    # A classified exception carries its remedy (a TLS one names the client that failed).
    return Finding(Outcome.FAIL, code, f"{where}: {first['step']} failed: {first['error']}",
                   evidence, first.get("remedy") or REMEDIES.get(code, REMEDIES["artifact_failed"]))


def discard(artifact_uri: str) -> None:
    """Delete a run's artifacts through MLflow (proxied artifacts live where only the server
    knows; the ledger's s3_prefix covers direct ones)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    get_artifact_repository(artifact_uri).delete_artifacts()
