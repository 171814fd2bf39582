"""Permanently remove soft-deleted experiments and runs from the backend store.

MLflow's REST API only soft-deletes experiments and runs; they stay in the database (and
visible with view_type ALL) until `mlflow gc` removes them. `mlflow gc` itself is unsafe
for a harness: given only experiment ids it also purges EVERY other soft-deleted run and
logged model on the server, and it takes the database URI (with its password) on the
command line. This module does what gc does (the same store methods) for exactly the ids it
is given, in a subprocess bounded by a timeout, with the URI passed on stdin.

Run as a script: JSON in on stdin ({backend_db_uri, experiment_ids, run_ids}), JSON out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def purge(backend_db_uri: str, experiment_ids: list[str], run_ids: list[str],
          timeout: float = 60.0) -> dict[str, Any]:
    """Hard-delete the given (already soft-deleted) experiments with their runs and logged
    models, and the given runs. Returns what was purged and what was skipped, and why."""
    if not experiment_ids and not run_ids:
        return {"experiments": [], "runs": [], "skipped": []}
    request = {"backend_db_uri": backend_db_uri, "experiment_ids": experiment_ids,
               "run_ids": run_ids}
    try:
        done = subprocess.run(
            [sys.executable, __file__], input=json.dumps(request), capture_output=True,
            text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"purging the backend store overran {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"purging the backend store failed: {tail[0][:300]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _purge_in_store(request: dict[str, Any]) -> dict[str, Any]:
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(request["backend_db_uri"], "unused-artifact-root")
    purged: dict[str, list[Any]] = {"experiments": [], "runs": [], "skipped": []}

    def hard_delete_run(run_id: str) -> None:
        try:
            store._hard_delete_run(run_id)
        except MlflowException as exc:
            purged["skipped"].append({"run": run_id, "reason": exc.message[:200]})
        else:
            purged["runs"].append(run_id)

    for experiment_id in request["experiment_ids"]:
        try:
            experiment = store.get_experiment(experiment_id)
        except MlflowException as exc:  # already gone
            purged["skipped"].append({"experiment": experiment_id, "reason": exc.message[:200]})
            continue
        if experiment.lifecycle_stage != "deleted":
            purged["skipped"].append({"experiment": experiment_id, "reason": "still active"})
            continue
        runs = store.search_runs([experiment_id], "", ViewType.ALL, max_results=50000)
        for run in runs:
            hard_delete_run(run.info.run_id)
        # Logged models, datasets and tags go with the experiment (ORM / FK cascades).
        store._hard_delete_experiment(experiment_id)
        purged["experiments"].append(experiment_id)
    for run_id in request["run_ids"]:
        if run_id in purged["runs"]:
            continue
        try:
            stage = store.get_run(run_id).info.lifecycle_stage
        except MlflowException:
            continue  # went with its experiment, or never existed
        if stage != "deleted":
            purged["skipped"].append({"run": run_id, "reason": "still active"})
            continue
        hard_delete_run(run_id)
    _drop_input_links(store, purged["runs"])
    return purged


def _drop_input_links(store: Any, run_ids: list[str]) -> None:
    """Rows linking purged runs to datasets and logged models (`mlflow gc` leaves them)."""
    from mlflow.store.tracking.dbmodels.models import SqlInput, SqlInputTag
    from sqlalchemy import or_

    if not run_ids:
        return
    with store.ManagedSessionMaker() as session:
        links = [row.input_uuid for row in session.query(SqlInput).filter(or_(
            SqlInput.source_id.in_(run_ids), SqlInput.destination_id.in_(run_ids)))]
        if links:
            session.query(SqlInputTag).filter(SqlInputTag.input_uuid.in_(links)).delete(
                synchronize_session=False)
            session.query(SqlInput).filter(SqlInput.input_uuid.in_(links)).delete(
                synchronize_session=False)


if __name__ == "__main__":
    json.dump(_purge_in_store(json.load(sys.stdin)), sys.stdout)
