"""spark_udf throughput against the in-process limit (P8.3, E5).

rows/s of spark_udf over a cached feature frame, against the same model's predict() on one
pandas frame of as many rows in this process; each side repeated until its median is stable
(bounded), after one warm-up (workers load the model on first use).

Evidence (flat, for the report's chart and the baseline diff):
  rows_per_second, in_process_rows_per_second, ratio (in-process / spark_udf: how many times
  slower the UDF is than the limit), rows, partitions, repeats and in_process_repeats
  (seconds per pass), stable, warmup_seconds, model_uri, arrow (spark.sql.execution.arrow.*).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mlflow_conformance.spark.executors import summarise

from .. import progress
from ..findings import Finding, Outcome, passed
from ..scratch import scratch
from .udf import blocked, classify, feature_frame

ARROW_KEYS = ("spark.sql.execution.arrow.pyspark.enabled",
              "spark.sql.execution.arrow.pyspark.fallback.enabled",
              "spark.sql.execution.arrow.maxRecordsPerBatch",
              "spark.sql.execution.arrow.pyspark.selfDestruct.enabled")


def until_stable(once: Callable[[], float], least: int = 3, most: int = 7,
                 tolerance: float = 0.05) -> tuple[list[float], bool]:
    """Timings of ``once()`` until adding one moves the median by less than ``tolerance``."""
    times = [once() for _ in range(least)]
    while True:
        previous = statistics.median(times[:-1])
        if abs(statistics.median(times) - previous) <= tolerance * previous:
            return times, True
        if len(times) >= most:
            return times, False
        times.append(once())


def _timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def arrow_settings(spark: Any) -> dict[str, str | None]:
    """The effective values (Spark's defaults where unset), plus any arrow key the job set."""
    chosen: dict[str, str | None] = {}
    for key in ARROW_KEYS:
        try:
            chosen[key] = spark.conf.get(key)
        except Exception:  # noqa: BLE001 - a key this Spark version does not know
            chosen[key] = None
    chosen.update({k: v for k, v in spark.sparkContext.getConf().getAll()
                   if k.startswith("spark.sql.execution.arrow.")})
    return chosen


@scratch()
def measure(spark: Any, model_uri: str, columns: Sequence[str], rows: int = 200_000,
            partitions: int = 2, most: int = 7) -> dict[str, Any]:
    with progress.step(f"measuring spark_udf throughput over {rows:,} rows"):
        return _measure(spark, model_uri, columns, rows, partitions, most)


def _measure(spark: Any, model_uri: str, columns: Sequence[str], rows: int, partitions: int,
             most: int) -> dict[str, Any]:
    import mlflow
    import numpy as np
    import pandas as pd

    frame = feature_frame(spark, columns, rows, partitions).cache()
    passes = 0
    try:
        progress.update("caching the feature frame")
        frame.count()
        udf = mlflow.pyfunc.spark_udf(spark, model_uri)

        def score() -> float:
            nonlocal passes
            # Shown outside the timed part: drawing costs milliseconds.
            progress.update(f"spark_udf pass {passes}" if passes else "spark_udf warm-up pass")
            passes += 1
            # A new plan every pass (re-running one plan reuses its shuffle output), and the
            # noop sink: every prediction is computed, nothing is collected.
            return _timed(lambda: frame.withColumn("prediction", udf(*columns))
                          .write.format("noop").mode("overwrite").save())

        warmup = score()
        repeats, stable = until_stable(score, most=most)
    finally:
        frame.unpersist()
    progress.update("predict() in this process, for the limit")
    model = mlflow.pyfunc.load_model(model_uri)
    local = pd.DataFrame(np.random.default_rng(0).random((rows, len(columns))),
                         columns=list(columns))
    model.predict(local)  # warm-up, as for the UDF
    in_process, in_process_stable = until_stable(lambda: _timed(lambda: model.predict(local)),
                                                 most=most)
    return figures(rows, repeats, in_process) | {
        "partitions": partitions, "stable": stable and in_process_stable,
        "warmup_seconds": round(warmup, 4), "model_uri": model_uri,
        "arrow": arrow_settings(spark)}


def figures(rows: int, repeats: Sequence[float], in_process: Sequence[float]) -> dict[str, Any]:
    udf_rate = rows / statistics.median(repeats)
    local_rate = rows / statistics.median(in_process)
    return {"rows_per_second": round(udf_rate, 1),
            "in_process_rows_per_second": round(local_rate, 1),
            "ratio": round(local_rate / udf_rate, 2), "rows": rows,
            "repeats": [round(t, 4) for t in repeats],
            "in_process_repeats": [round(t, 6) for t in in_process]}


def judge(evidence: Mapping[str, Any], threshold: float) -> Finding:
    shown = (f"{evidence['rows_per_second']:,.0f} rows/s over {evidence['rows']:,} rows "
             f"(the in-process limit, {evidence['in_process_rows_per_second']:,.0f} rows/s, "
             f"is {evidence['ratio']}x that)")
    record = {**evidence, "threshold_rows_per_second": threshold}
    if evidence["rows_per_second"] < threshold:
        return Finding(Outcome.FAIL, "below_threshold", f"spark_udf scored {shown}; the "
                       f"minimum is {threshold:,.0f} rows/s", record,
                       "raise spark.sql.execution.arrow.maxRecordsPerBatch or executor cores; "
                       "check executor memory for the model copy per Python worker")
    return passed(f"spark_udf scored {shown}", **record)


def check(spark: Any, model_uri: str, columns: Sequence[str], rows: int, threshold: float,
          preflight: Finding | None = None) -> Finding:
    stop = blocked(preflight)
    if stop is not None:
        return stop
    try:
        evidence = measure(spark, model_uri, columns, rows)
    except Exception as exc:  # noqa: BLE001 - MlflowException or Py4JJavaError: the finding
        error = summarise(exc)
        return Finding(Outcome.FAIL, classify(error), f"spark_udf({model_uri}) failed while "
                       f"measuring: {error}", {"model_uri": model_uri, "error": error},
                       "read the error; compare executors' packages with the model's")
    return judge(evidence, threshold)
