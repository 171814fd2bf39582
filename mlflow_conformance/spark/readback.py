"""What a run really holds, read back through the tracking API: params, metrics, the tags
that autologging writes, and the Spark model (where it was logged, its files, whether it
loads and transforms)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Tags autologging writes; MLflow's own mlflow.* bookkeeping tags are left out.
AUTOLOG_TAGS = ("estimator_name", "estimator_class", "sparkDatasourceInfo")
MODEL_PATH = "model"


def run_record(run_id: str) -> dict[str, Any]:
    from mlflow.tracking import MlflowClient

    run = MlflowClient().get_run(run_id)
    return {"experiment_id": run.info.experiment_id, "params": dict(run.data.params),
            "metrics": dict(run.data.metrics),
            "tags": {k: v for k, v in run.data.tags.items() if k in AUTOLOG_TAGS}}


def wait_for_tag(run_id: str, tag: str, seconds: float) -> bool:
    from mlflow.tracking import MlflowClient

    deadline = time.monotonic() + seconds
    while tag not in MlflowClient().get_run(run_id).data.tags:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def _walk(lister: Callable[[str | None], list[Any]], path: str | None = None) -> list[str]:
    found: list[str] = []
    for info in lister(path):
        found += _walk(lister, info.path) if info.is_dir else [info.path]
    return found


def model_location(run_id: str, experiment_id: str) -> tuple[str | None, list[str]]:
    """The model's URI and files: run artifacts under model/ (MLflow 2.x, and 3.x's Spark
    flavour), else a LoggedModel whose source run is this run (MLflow 3.x)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    files = _walk(lambda p: client.list_artifacts(run_id, p), MODEL_PATH)
    if any(f.endswith("MLmodel") for f in files):
        return f"runs:/{run_id}/{MODEL_PATH}", files
    models = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list",
                                         filter_string=f"source_run_id = '{run_id}'")
    if not models:
        return None, files
    model_id: str = models[0].model_id
    files = _walk(lambda path: client.list_logged_model_artifacts(model_id, path))
    return f"models:/{model_id}", files


def spark_model(spark: Any, run_id: str, experiment_id: str, test: Any) -> dict[str, Any]:
    """Where the Spark model is, whether sparkml/ holds data, and whether it loads and
    transforms the test split."""
    import mlflow.spark

    uri, files = model_location(run_id, experiment_id)
    sparkml = [f for f in files if "/sparkml/" in f"/{f}"]
    evidence: dict[str, Any] = {
        "uri": uri, "files": len(files),
        "sparkml_files": len(sparkml),
        "sparkml_part_files": sum(1 for f in sparkml if f.rsplit("/", 1)[-1].startswith("part-")),
        "has_mlmodel": any(f.endswith("MLmodel") for f in files)}
    if uri is None:
        return evidence
    try:
        rows = mlflow.spark.load_model(uri).transform(test).count()
        evidence.update(loaded=True, transformed_rows=rows)
    except Exception as exc:  # noqa: BLE001 - the failure is the evidence
        evidence.update(loaded=False, load_error=f"{type(exc).__name__}: {exc}"[:600])
    return evidence
