"""A smoke run changes nothing, proven on the session's embedded stack: what MLflow holds
(experiments and runs including deleted ones, registered models, model versions, logged
models), the bucket's every key with its size and ETag, and every table of the backend
database (row count and a digest of the rows) are the same before and after a run of all the
suites with --profile smoke. The same snapshot sees a single experiment or object appear.

The smoke run also starts no Spark session: its driver-side checks and the S3A settings are
judged without one, and what only Spark's JVM or executors could show skips saying so."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlflow_conformance.cleanup import removal
from mlflow_conformance.cleanup.ledger import Ledger, experiment_name
from mlflow_conformance.deployment import Deployment
from mlflow_conformance.fixtures.spark import SMOKE_WITHOUT_SPARK
from tests.inner_session import ROOT

Snapshot = dict[str, dict[str, Any]]


def _paged(search: Any, **kwargs: Any) -> list[Any]:
    found: list[Any] = []
    token = None
    while True:
        page = search(max_results=1000, page_token=token, **kwargs)
        found += list(page)
        token = page.token
        if not token:
            return found


def mlflow_entities(deployment: Deployment) -> dict[str, Any]:
    """Every entity the server lists, deleted ones included, with what an update changes;
    keyed "<kind> <id>"."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(deployment.tracking_uri, deployment.tracking_uri)
    experiments = _paged(client.search_experiments, view_type=ViewType.ALL)
    ids = [e.experiment_id for e in experiments]
    entities: dict[str, Any] = {
        f"experiment {e.experiment_id}": (e.name, e.lifecycle_stage, e.last_update_time)
        for e in experiments}
    runs = _paged(client.search_runs, experiment_ids=ids, run_view_type=ViewType.ALL) \
        if ids else []
    entities.update({f"run {r.info.run_id}": (r.info.status, r.info.lifecycle_stage,
                                              r.info.end_time) for r in runs})
    entities.update({f"registered_model {m.name}": m.last_updated_timestamp
                     for m in _paged(client.search_registered_models)})
    entities.update({f"model_version {v.name}/{v.version}": (v.current_stage,
                                                             v.last_updated_timestamp)
                     for v in _paged(client.search_model_versions)})
    if hasattr(client, "search_logged_models") and ids:  # MLflow 3
        entities.update({f"logged_model {m.model_id}": (m.status, m.last_updated_timestamp)
                         for m in _paged(client.search_logged_models, experiment_ids=ids)})
    # The counts the brief of this check names, so that a difference shows them too.
    for kind in ("experiment", "run", "registered_model", "model_version", "logged_model"):
        entities[f"count {kind}"] = sum(1 for k in entities if k.startswith(kind + " "))
    return entities


def bucket_listing(deployment: Deployment) -> dict[str, Any]:
    s3 = removal.s3_client(deployment, deployment.driver_identity)
    listing: dict[str, Any] = {"buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"])}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=deployment.bucket):
        for item in page.get("Contents", []):
            listing[item["Key"]] = (item["Size"], item["ETag"])
    return listing


def table_digests(db_uri: str) -> dict[str, Any]:
    """Per table of the MLflow schema: its row count and an order-free digest of its rows
    (an UPDATE keeps the count). PostgreSQL, as the embedded stack's backend store is."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(db_uri, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = sorted(sqlalchemy.inspect(conn).get_table_names())
            assert {"alembic_version", "experiments"} <= set(tables), tables
            return {name: tuple(conn.execute(sqlalchemy.text(
                f'SELECT count(*), md5(coalesce(string_agg(md5(t::text), \'\' '  # noqa: S608
                f'ORDER BY md5(t::text)), \'\')) FROM "{name}" t')).one())
                for name in tables}
    finally:
        engine.dispose()


def snapshot(deployment: Deployment) -> Snapshot:
    assert deployment.backend_db_uri
    return {"mlflow": mlflow_entities(deployment), "s3": bucket_listing(deployment),
            "database": table_digests(deployment.backend_db_uri)}


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    found = []
    for part in before:
        for key in sorted(set(before[part]) | set(after[part]), key=str):
            old, new = before[part].get(key), after[part].get(key)
            if old != new:
                found.append(f"{part} {key}: {old!r} -> {new!r}")
    return found


def smoke_run(stack_pointer: Path, report_dir: Path) -> subprocess.CompletedProcess[str]:
    """All the suites with --profile smoke, as a user runs them against a kept stack: the
    pytest beside this Python, no other target named."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_CONFORMANCE_")}
    env["MLFLOW_CONFORMANCE_STACK_POINTER"] = str(stack_pointer)
    script = Path(sys.executable).parent / "pytest"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]
    return subprocess.run([*command, "--profile", "smoke", f"--report-dir={report_dir}",
                           "-p", "no:cacheprovider", "-rs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_smoke_run_changes_nothing(deployment, stack_pointer, tmp_path):
    before = snapshot(deployment)
    done = smoke_run(stack_pointer, tmp_path / "report")
    after = snapshot(deployment)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "reusing the stack kept up" in done.stdout  # this stack, not one of its own
    changed = differences(before, after)
    assert changed == [], "the smoke run changed the deployment:\n" + "\n".join(changed)

    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert results["profile"] == "smoke"
    by_id = {t["requirements"][0]: t for t in results["tests"]}
    # Judged without Spark: the driver is this process, the settings are the description's.
    for rid in ("CMP-001", "CMP-003", "S3A-002"):
        assert by_id[rid]["outcome"] == "pass", by_id[rid]
    assert "deployment description" in by_id["S3A-002"]["evidence"]["source"]
    for rid in ("CMP-002", "CMP-004", "CMP-005", "CMP-006", "S3A-001"):
        assert (by_id[rid]["outcome"], by_id[rid]["message"]) == (
            "skip", SMOKE_WITHOUT_SPARK), by_id[rid]
    assert not {"spark", "spark_driver", "spark_executors"} & set(results["environment"])


def test_the_snapshot_sees_an_experiment_and_an_object_appear(deployment, tmp_path):
    """The comparison above can fail: one experiment and one object are differences of the
    server, of the database and of the bucket."""
    from mlflow.tracking import MlflowClient

    before = snapshot(deployment)
    book = Ledger(tmp_path / "ledger.jsonl", "mcselftest" + secrets.token_hex(3))
    name = experiment_name(book.run_id, "snapshot")
    key = f"conformance/{book.run_id}/snapshot.txt"
    s3 = removal.s3_client(deployment, deployment.driver_identity)
    book.record("s3_prefix", f"{deployment.bucket}/conformance/{book.run_id}/")
    try:
        experiment_id = MlflowClient(deployment.tracking_uri).create_experiment(name)
        book.record("experiment", experiment_id, name=name)
        s3.put_object(Bucket=deployment.bucket, Key=key, Body=b"changed")
        changed = differences(before, snapshot(deployment))
    finally:
        assert removal.remove_entries(book.entries(), deployment).failed == []
    assert any(line.startswith(f"mlflow experiment {experiment_id}: None -> ")
               for line in changed), changed
    assert any(line.startswith(f"s3 {key}:") for line in changed), changed
    assert any(line.startswith("database experiments:") for line in changed), changed


@pytest.mark.parametrize(("before", "after", "expected"), [
    ({"s3": {"k": (1, "e")}}, {"s3": {"k": (1, "e")}}, []),
    ({"s3": {"k": (1, "e")}}, {"s3": {"k": (1, "f")}}, ["s3 k: (1, 'e') -> (1, 'f')"]),
    ({"s3": {}}, {"s3": {"k": (1, "e")}}, ["s3 k: None -> (1, 'e')"]),
])
def test_differences_name_each_changed_key(before, after, expected):
    assert differences(before, after) == expected
