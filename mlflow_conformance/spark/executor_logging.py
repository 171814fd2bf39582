"""Where metrics logged inside executors go (P6.1, P6.2): each task calls mlflow.log_metric
with no run context of its own, reports what run that landed in, and the driver then sends
the collected values itself. Runs the executors started are handed to ``on_run`` (the
cleanup ledger) as soon as the driver learns of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from mlflow_conformance.spark.executors import ExecutorError, failure, run_tasks

from ..findings import Finding, Outcome, passed

METRIC = "executor_metric"


def _log_on_executor(index: int, _rows: Any) -> Any:
    import mlflow

    outcome: dict[str, Any] = {"partition": index, "value": float(index + 1)}
    try:
        before = mlflow.active_run()
        outcome["active_run_before"] = before.info.run_id if before else None
        mlflow.log_metric(METRIC, outcome["value"])
        landed = mlflow.active_run()
        outcome.update(run_id=landed.info.run_id if landed else None,
                       experiment_id=landed.info.experiment_id if landed else None,
                       tracking_uri=mlflow.get_tracking_uri())
    except Exception as exc:  # noqa: BLE001 - "could not log" is evidence too
        outcome["error"] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        mlflow.end_run()  # Python workers are reused: leave no active run behind
    yield outcome


def collect(spark: Any, run_id: str, on_run: Callable[[str], None],
            tags: Mapping[str, str] | None = None, partitions: int = 2) -> dict[str, Any]:
    """Executors log into nothing in particular, then the driver sends to ``run_id``. Runs
    the executors started get ``tags`` afterwards, so a sweep finds them too."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    tasks = run_tasks(spark.sparkContext, _log_on_executor, sys.modules[__name__],
                      partitions=partitions, with_index=True)
    strays = sorted({t["run_id"] for t in tasks if t.get("run_id") not in (None, run_id)})
    for stray in strays:
        on_run(stray)
    before = [m.value for m in client.get_metric_history(run_id, METRIC)]
    for task in tasks:
        client.log_metric(run_id, METRIC, task["value"], step=task["partition"])
    after = [m.value for m in client.get_metric_history(run_id, METRIC)]
    stray_runs = []
    for stray in strays:
        other = client.get_run(stray)
        stray_runs.append({"run_id": stray, "experiment_id": other.info.experiment_id,
                           "run_name": other.info.run_name, "metrics": dict(other.data.metrics)})
        for key, value in (tags or {}).items():
            client.set_tag(stray, key, value)
    return {"driver_run_id": run_id, "tasks": tasks, "driver_run_before_sending": before,
            "driver_run_after_sending": after, "executor_runs": stray_runs,
            "sent_by_driver": [t["value"] for t in tasks]}


def check(spark: Any, run_id: str, on_run: Callable[[str], None],
          tags: Mapping[str, str] | None = None) -> Finding:
    """SPK-011 end to end: judge() of collect(), or the failure of the executor tasks."""
    try:
        return judge(collect(spark, run_id, on_run, tags))
    except ExecutorError as exc:
        return failure(exc, "logging from executor tasks")


def judge(evidence: Mapping[str, Any]) -> Finding:
    run_id = evidence["driver_run_id"]
    remedy = ("return values from executor tasks and log them on the driver; never call "
              "mlflow.log_* inside tasks")
    if evidence["driver_run_before_sending"]:
        return Finding(Outcome.WARN, "executor_logs_in_run", f"{METRIC} reached run {run_id} "
                       f"before the driver sent it: {evidence['driver_run_before_sending']}",
                       dict(evidence), "do not pass MLFLOW_RUN_ID to executors; " + remedy)
    if sorted(evidence["driver_run_after_sending"]) != sorted(evidence["sent_by_driver"]):
        return Finding(Outcome.FAIL, "driver_metrics_missing", f"the driver sent "
                       f"{evidence['sent_by_driver']}, run {run_id} holds "
                       f"{evidence['driver_run_after_sending']}", dict(evidence),
                       "check the driver's connection to the tracking server")
    strays = evidence["executor_runs"]
    if strays:
        where = sorted({s["experiment_id"] for s in strays})
        return Finding(Outcome.WARN, "executor_stray_runs", f"executor tasks' log_metric "
                       f"started {len(strays)} run(s) of their own in experiment(s) {where}; "
                       f"run {run_id} got the values only when the driver sent them",
                       dict(evidence), remedy)
    errors = sorted({t.get("error", "") for t in evidence["tasks"]} - {""})
    return passed(f"executors' log_metric reached no run ({'; '.join(errors) or 'no error'}); "
                  f"the driver's run holds the values it sent", **evidence)
