"""Measure spark_udf throughput on this machine, for the README's table:

    python -m mlflow_conformance.spark.benchmark [--rows 200000] [--master local[2]]

Needs no tracking server: each sample model is saved to a temporary folder and scored from
there with throughput.measure (the same code the SPK-040 check runs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any

from . import sample_model, throughput
from .session import QUIET_CONF, launch_env


def session(master: str) -> Any:
    from pyspark.sql import SparkSession

    os.environ.update(launch_env())  # this process exists to run Spark: no need to restore
    builder = SparkSession.builder.master(master).appName("mlflow-conformance-benchmark")
    for key, value in QUIET_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def measure_kind(spark: Any, kind: str, rows: int) -> dict[str, Any]:
    import mlflow

    model, features, predictions = sample_model.train(kind)
    with tempfile.TemporaryDirectory(prefix="mlflow-conformance-bench-") as tmp:
        path = os.path.join(tmp, kind)
        mlflow.sklearn.save_model(model, path,
                                  **sample_model.log_kwargs(kind, features, predictions))
        return {"model": kind, **throughput.measure(spark, path, sample_model.COLUMNS, rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--kinds", nargs="+", default=list(sample_model.KINDS),
                        choices=sample_model.KINDS)
    args = parser.parse_args(argv)
    spark = session(args.master)
    try:
        results = [measure_kind(spark, kind, args.rows) for kind in args.kinds]
    finally:
        spark.stop()
    print("| model | rows | spark_udf rows/s | in-process rows/s | ratio | repeats (s) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['model']} | {r['rows']:,} | {r['rows_per_second']:,.0f} | "
              f"{r['in_process_rows_per_second']:,.0f} | {r['ratio']}x | "
              f"{', '.join(str(t) for t in r['repeats'])} |")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
