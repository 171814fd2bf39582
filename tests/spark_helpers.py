"""Shared by the Spark self-tests: evidence recorded on the embedded stack (for the pure
judgements) and ways to break a live Spark session's executors for real."""

from __future__ import annotations

import copy
import glob
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# example.run() for the corrected variant, as recorded on the embedded stack (MLflow 3.17.2,
# pyspark 3.5.3, no mlflow-spark jar).
RECORDED_RUN: dict[str, Any] = {
    "variant": {"name": "pyspark_ml_with_evaluator", "pyspark_ml": True, "datasource": True,
                "evaluate": True},
    "autologs": {"pyspark.ml": {"enabled": True}, "spark": {
        "enabled": True, "error": "MlflowException: Exception while attempting to initialize "
        "JVM-side state for Spark datasource autologging. ... ensure you have the mlflow-spark "
        "JAR attached ... 'JavaPackage' object is not callable"}},
    "run_id": "e8fb20d25aec4c4493c9685611d3023a", "fit_seconds": 38.1,
    "params": {"aggregationDepth": "2", "elasticNetParam": "0.8", "epsilon": "1.35",
               "featuresCol": "features", "fitIntercept": "True", "labelCol": "label",
               "loss": "squaredError", "maxBlockSizeInMB": "0.0", "maxIter": "10",
               "predictionCol": "prediction", "regParam": "0.3", "solver": "auto",
               "standardization": "True", "tol": "1e-06", "custom_param": "value"},
    "metrics": {"rmse_test": 0.28573198261830096},
    "tags": {"estimator_name": "LinearRegression",
             "estimator_class": "pyspark.ml.regression.LinearRegression"},
    "model": {"uri": "runs:/e8fb20d25aec4c4493c9685611d3023a/model", "files": 16,
              "sparkml_files": 12, "sparkml_part_files": 3, "has_mlmodel": True,
              "loaded": True, "transformed_rows": 40},
}
JAR_ABSENT = {"class": "org.mlflow.spark.autologging.MlflowAutologEventPublisher",
              "present": False, "error": "Py4JJavaError: java.lang.ClassNotFoundException"}
JAR_PRESENT = {"class": JAR_ABSENT["class"], "present": True}


def recorded_run(**changes: Any) -> dict[str, Any]:
    """The recorded run with top-level keys replaced (deep-copied, so tests stay apart)."""
    run = copy.deepcopy(RECORDED_RUN)
    run.update(copy.deepcopy(changes))
    return run


def env(python: str, **packages: str | None) -> dict[str, Any]:
    """An environment.local_versions() record."""
    return {"python": python, "python_minor": ".".join(python.split(".")[:2]),
            "executable": f"/opt/python{python}/bin/python", "host": "executor-1", "pid": 1,
            "packages": dict(packages)}


def python_minor(executable: str) -> str | None:
    try:
        done = subprocess.run([executable, "-c", "import sys; print('%d.%d' % "
                               "sys.version_info[:2])"], capture_output=True, text=True,
                              timeout=20, check=False)
    except OSError:
        return None
    return done.stdout.strip() or None


def other_minor_python() -> str | None:
    """An interpreter of another Python minor version on this machine (pyenv's or Debian's)."""
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3")
                            + glob.glob("/usr/bin/python3.[0-9]*")):
        if candidate.endswith("-config"):
            continue
        minor = python_minor(candidate)
        if minor and minor != ours and minor.startswith("3."):
            return candidate
    return None


@contextmanager
def executor_python(spark: Any, executable: str) -> Iterator[None]:
    """Jobs started inside run their Python workers with ``executable``: Spark keys its
    worker daemons by interpreter, so this swaps the executors' Python for real."""
    sc = spark.sparkContext
    saved = sc.pythonExec
    sc.pythonExec = executable
    try:
        yield
    finally:
        sc.pythonExec = saved


@contextmanager
def executor_env(spark: Any, **variables: str) -> Iterator[None]:
    """Jobs started inside get these variables in their Python workers (a new worker daemon,
    as Spark keys daemons by environment too)."""
    environment = spark.sparkContext.environment
    saved = {key: environment.get(key) for key in variables}
    environment.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
