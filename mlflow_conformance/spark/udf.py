"""mlflow.pyfunc.spark_udf scored against the model's own predict (P8.1, E4, E6): every row's
prediction is compared, the result type against the signature's, nulls counted.

Collection scores a deterministic feature frame on Spark, brings features and predictions
back together (so the comparison never depends on row order) and predicts the same rows in
this process; the judgement reads only the resulting numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from mlflow_conformance.spark.executors import summarise

from .. import progress
from ..findings import Finding, Outcome, passed
from ..scratch import scratch

TOLERANCE = 1e-9  # relative; both sides compute in float64
ERRORS = (  # MLflow's and Spark's messages, most specific first
    ("python_mismatch", re.compile(r"PYTHON_VERSION_MISMATCH|different version .* than that "
                                   r"in driver")),
    ("alias_not_found", re.compile(r"alias .* not found", re.I)),
    ("stage_not_found", re.compile(r"No versions of model with name .* and stage", re.I)),
    ("model_not_found", re.compile(r"RESOURCE_DOES_NOT_EXIST|Registered Model with name=.* "
                                   r"not found|Model Version .* not found", re.I)),
)


def feature_frame(spark: Any, columns: Sequence[str], rows: int, partitions: int = 2) -> Any:
    """Deterministic uniform features f0..fN, computed by Spark (no driver-side data)."""
    from pyspark.sql import functions as F

    return spark.range(rows, numPartitions=partitions).select(
        *[F.rand(seed=i).alias(name) for i, name in enumerate(columns)])


def expected_type(signature: Any) -> str:
    """The Spark type the signature's single output declares; double without a signature."""
    from mlflow.types.schema import ColSpec, DataType

    outputs = signature.outputs.inputs if signature and signature.outputs else []
    if len(outputs) == 1 and isinstance(outputs[0], ColSpec) and isinstance(
            outputs[0].type, DataType):
        return str(outputs[0].type.to_spark().simpleString())
    return "double"


def classify(error: str) -> str:
    return next((code for code, pattern in ERRORS if pattern.search(error)), "udf_failed")


@scratch()
def score(spark: Any, model_uri: str, columns: Sequence[str], rows: int) -> dict[str, Any]:
    # Not the URI in the title: a registered model's name carries the run's long prefix.
    with progress.step(f"scoring {rows:,} rows with spark_udf"):
        return _score(spark, model_uri, columns, rows)


def _score(spark: Any, model_uri: str, columns: Sequence[str], rows: int) -> dict[str, Any]:
    import mlflow
    import numpy as np

    evidence: dict[str, Any] = {"model_uri": model_uri, "rows": rows}
    try:
        progress.update("loading the model into the UDF")
        udf = mlflow.pyfunc.spark_udf(spark, model_uri)  # env_manager "local", as the page
        scored = feature_frame(spark, columns, rows).withColumn("prediction", udf(*columns))
        evidence["result_type"] = scored.schema["prediction"].dataType.simpleString()
        progress.update("scoring on Spark")
        frame = scored.toPandas()
    except Exception as exc:  # noqa: BLE001 - MlflowException or Py4JJavaError: the evidence
        error = summarise(exc)
        return {**evidence, "error": error, "code": classify(error)}
    progress.update("predicting the same rows here")
    model = mlflow.pyfunc.load_model(model_uri)
    expected = np.asarray(model.predict(frame[list(columns)]), dtype="float64").ravel()
    got = frame["prediction"].to_numpy(dtype="float64", na_value=np.nan)
    nulls = np.isnan(got) & ~np.isnan(expected)
    differ = ~np.isclose(got, expected, rtol=TOLERANCE, atol=0.0, equal_nan=True) & ~nulls
    return {**evidence, "expected_type": expected_type(model.metadata.signature),
            "scored_rows": len(frame),
            "nulls": int(nulls.sum()), "mismatches": int(differ.sum()),
            "max_abs_difference": float(np.nanmax(np.abs(got - expected))) if len(got) else 0.0,
            "first_mismatches": [{"row": int(i), "udf": float(got[i]),
                                  "predict": float(expected[i])}
                                 for i in np.flatnonzero(differ)[:5]]}


def blocked(preflight: Finding | None) -> Finding | None:
    """The executor-environment finding, when it failed: spark_udf is then not tried."""
    if preflight is None or preflight.outcome is not Outcome.FAIL:
        return None
    return Finding(Outcome.FAIL, preflight.code, "spark_udf not tried: " + preflight.message,
                   {"preflight": dict(preflight.evidence)}, preflight.remedy)


def check(spark: Any, model_uri: str, columns: Sequence[str], rows: int,
          preflight: Finding | None = None, **notes: Any) -> Finding:
    """Preflight, score, judge; ``notes`` join the evidence (e.g. deprecation warnings)."""
    stop = blocked(preflight)
    if stop is not None:
        return stop
    finding = judge(score(spark, model_uri, columns, rows))
    return Finding(finding.outcome, finding.code, finding.message,
                   {**finding.evidence, **notes}, finding.remedy)


def judge(evidence: Mapping[str, Any]) -> Finding:
    uri = evidence["model_uri"]
    if "error" in evidence:
        return Finding(Outcome.FAIL, evidence["code"], f"spark_udf({uri}) failed: "
                       f"{evidence['error']}", dict(evidence), _REMEDIES[evidence["code"]])
    if evidence["scored_rows"] != evidence["rows"]:
        return Finding(Outcome.FAIL, "udf_failed", f"{evidence['scored_rows']} of "
                       f"{evidence['rows']} rows came back", dict(evidence),
                       _REMEDIES["udf_failed"])
    if evidence["result_type"] != evidence["expected_type"]:
        return Finding(Outcome.FAIL, "wrong_result_type", f"result type "
                       f"{evidence['result_type']}, the signature declares "
                       f"{evidence['expected_type']}", dict(evidence),
                       "pass result_type matching the model's signature, or fix the signature")
    if evidence["nulls"]:
        return Finding(Outcome.FAIL, "null_predictions", f"{evidence['nulls']} of "
                       f"{evidence['rows']} predictions are null", dict(evidence),
                       "check the input columns' names and types against the signature")
    if evidence["mismatches"]:
        return Finding(Outcome.FAIL, "prediction_mismatch", f"{evidence['mismatches']} of "
                       f"{evidence['rows']} predictions differ from predict() (max "
                       f"{evidence['max_abs_difference']:.3g})", dict(evidence),
                       "align executors' packages with the model's requirements.txt")
    return passed(f"all {evidence['rows']} predictions of {uri} equal predict(), type "
                  f"{evidence['result_type']}, no nulls", **evidence)


_REMEDIES = {
    "alias_not_found": "set the alias on the intended version (set_registered_model_alias)",
    "stage_not_found": "transition a version to the stage, or move the pipeline to an alias",
    "model_not_found": "check the registered model's name and version",
    "python_mismatch": "run executors with the driver's Python minor version",
    "udf_failed": "read the error; compare executors' packages with the model's requirements",
}
