"""The platform's documented Spark ML example (P5.2), run with a chosen set of autologgers,
and what MLflow recorded for it, read back through the tracking API.

The page enables only mlflow.spark.autolog(); in MLflow, params, tags and the model come from
mlflow.pyspark.ml.autolog() and metrics only from an Evaluator. Each variant is one run, so
the analysis can say what each autologger really captured.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import progress
from ..scratch import scratch
from . import readback

ESTIMATOR_PARAMS: dict[str, Any] = {"maxIter": 10, "regParam": 0.3, "elasticNetParam": 0.8}
CUSTOM_PARAM = ("custom_param", "value")
RUN_NAME = "LinearRegression_v1"
JAR_CLASS = "org.mlflow.spark.autologging.MlflowAutologEventPublisher"
DATASOURCE_TAG = "sparkDatasourceInfo"


@dataclass(frozen=True)
class Variant:
    name: str
    pyspark_ml: bool  # mlflow.pyspark.ml.autolog(): params, tags, model
    datasource: bool  # mlflow.spark.autolog(): the sparkDatasourceInfo tag (needs the jar)
    evaluate: bool  # RegressionEvaluator on the test split inside the run
    # False: the custom param is logged after the `with` block, as a common mistake has it
    # (MLflow then starts a run of its own for it).
    custom_param_in_run: bool = True


DOCUMENTED = Variant("documented", pyspark_ml=False, datasource=True, evaluate=False)
CORRECTED = Variant("pyspark_ml_with_evaluator", pyspark_ml=True, datasource=True, evaluate=True)
NO_AUTOLOG = Variant("no_autolog", pyspark_ml=False, datasource=False, evaluate=True)


def sample_data_path() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent / "data" / "mllib" / "sample_libsvm_data.txt")


def jar_status(spark: Any) -> dict[str, Any]:
    """Whether the mlflow-spark jar's event publisher loads in the driver's JVM (py4j)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext.getConf()
    status: dict[str, Any] = {"class": JAR_CLASS, "spark.jars": conf.get("spark.jars", None),
                              "spark.jars.packages": conf.get("spark.jars.packages", None)}
    try:
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(JAR_CLASS, False, loader)
        status["present"] = True
    except Exception as exc:  # noqa: BLE001 - Py4JJavaError(ClassNotFoundException)
        status.update(present=False, error=_first_line(exc))
    return status


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    cause = [line for line in lines if "Exception" in line or "Error" in line]
    return f"{type(exc).__name__}: {(cause or lines or [''])[-1]}"[:400]


def _enable(variant: Variant) -> dict[str, Any]:
    import mlflow.pyspark.ml
    import mlflow.spark

    enabled: dict[str, Any] = {"pyspark.ml": {"enabled": variant.pyspark_ml},
                               "spark": {"enabled": variant.datasource}}
    for key, wanted, autolog in (("pyspark.ml", variant.pyspark_ml, mlflow.pyspark.ml.autolog),
                                 ("spark", variant.datasource, mlflow.spark.autolog)):
        if wanted:
            try:
                autolog(silent=True)
            except Exception as exc:  # noqa: BLE001 - the failure is the evidence
                enabled[key]["error"] = f"{type(exc).__name__}: {exc}"[:600]
    return enabled


def _disable() -> None:
    import mlflow.pyspark.ml
    import mlflow.spark

    # Autologging is process-wide: leave nothing patched for the checks that follow.
    for autolog in (mlflow.pyspark.ml.autolog, mlflow.spark.autolog):
        try:
            autolog(disable=True, silent=True)
        except Exception:  # noqa: BLE001, S110 - disabling a never-initialised autologger
            pass


@scratch()
def run(spark: Any, experiment_id: str, variant: Variant, tags: dict[str, str],
        on_run: Any = None) -> dict[str, Any]:
    """Run the example as the page shows it (plus the variant's autologgers and evaluator);
    ``on_run(run_id)`` is called as soon as the run exists (the cleanup ledger)."""
    with progress.step(f"running the Spark autolog example ({variant.name})"):
        return _run(spark, experiment_id, variant, tags, on_run)


def _run(spark: Any, experiment_id: str, variant: Variant, tags: dict[str, str],
         on_run: Any) -> dict[str, Any]:
    import mlflow
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.regression import LinearRegression

    progress.update("enabling autolog")
    autologs = _enable(variant)
    began = time.monotonic()
    try:
        progress.update("reading the sample data")
        data = spark.read.format("libsvm").load(sample_data_path())
        train, test = data.randomSplit([0.7, 0.3], seed=7)
        with mlflow.start_run(experiment_id=experiment_id, run_name=RUN_NAME,
                              tags=tags) as active:
            if on_run is not None:
                on_run(active.info.run_id)
            progress.update("fitting LinearRegression")
            model = LinearRegression(**ESTIMATOR_PARAMS).fit(train)
            fitted = time.monotonic()
            if variant.evaluate:
                progress.update("evaluating")
                # MLflow names the metric after this variable: rmse_test.
                RegressionEvaluator().evaluate(model.transform(test))
            if variant.custom_param_in_run:
                mlflow.log_param(*CUSTOM_PARAM)
        if not variant.custom_param_in_run:
            mlflow.log_param(*CUSTOM_PARAM)
            stray = mlflow.active_run()
            if stray is not None:
                if on_run is not None:
                    on_run(stray.info.run_id)
                mlflow.end_run()
        if variant.datasource and "error" not in autologs["spark"]:
            # The datasource tag is written asynchronously, from Spark's listener thread.
            progress.update(f"waiting for the {DATASOURCE_TAG} tag")
            readback.wait_for_tag(active.info.run_id, DATASOURCE_TAG, seconds=10)
    finally:
        _disable()
    run_id = active.info.run_id
    progress.update("reading the run and its model back")
    return {"variant": asdict(variant), "autologs": autologs, "run_id": run_id,
            "fit_seconds": round(fitted - began, 2), **readback.run_record(run_id),
            "model": readback.spark_model(spark, run_id, experiment_id, test)}
