"""Running an observation inside a Spark task, and naming what went wrong when the task fails.

Functions are shipped pickled by value together with the modules they come from, so
executors need no copy of this package (as on the platform's image).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..findings import Finding, Outcome

MISMATCH = re.compile(r"Python in worker has different version[^\n]*")


class ExecutorError(RuntimeError):
    """The Spark job failed; the message is Spark's error, cut to what matters."""


def run_tasks(sc: Any, task: Callable[..., Any], *modules: ModuleType, partitions: int = 1,
              with_index: bool = False) -> list[Any]:
    """What ``task`` yielded on ``partitions`` Spark tasks: a mapPartitions function, or with
    ``with_index`` a mapPartitionsWithIndex one. ``modules`` travel pickled by value; a
    failed job raises ExecutorError with Spark's error cut to what matters."""
    from pyspark import cloudpickle

    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    rdd = sc.parallelize(range(partitions), partitions)
    try:
        return (rdd.mapPartitionsWithIndex(task) if with_index else rdd.mapPartitions(task)
                ).collect()
    except Exception as exc:  # Py4JJavaError: the executors are the finding
        raise ExecutorError(summarise(exc)) from exc


def run_in_task(spark: Any, observe: Callable[[], Any], *modules: ModuleType) -> Any:
    """``observe()`` run once inside a single Spark task; its (picklable) return value."""

    def task(_rows: Any) -> Any:
        yield observe()

    return run_tasks(spark.sparkContext, task, *modules)[0]


def summarise(exc: BaseException) -> str:
    text = str(exc)
    found = MISMATCH.search(text)
    if found:
        return "PYTHON_VERSION_MISMATCH: " + found.group(0)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # Spark's Python errors end with the worker's own exception line; keep that and the head.
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    return " | ".join(dict.fromkeys(lines[:1] + errors[-2:]))[:1500]


def failure(error: ExecutorError, what: str) -> Finding:
    """The finding for executor work that never produced its evidence."""
    text = str(error)
    if text.startswith("PYTHON_VERSION_MISMATCH"):
        return Finding(Outcome.FAIL, "python_mismatch", f"{what}: executors could not run "
                       f"Python: {text}", {"spark_error": text},
                       "run executors with the driver's Python minor version "
                       "(same image, or spark.pyspark.python)")
    return Finding(Outcome.FAIL, "executor_failed", f"{what}: the Spark task failed: {text}",
                   {"spark_error": text}, "read the executor's log for the task failure; the "
                   "executor environment differs from the driver's")
