"""What runs where: Python and package versions on the driver and inside Spark executors.

The executor side runs inside Spark tasks (mapPartitions), so it sees exactly what a UDF or
an artifact upload on an executor would see. The function shipped to executors is pickled
by value, so executors need no copy of this package (as on the platform's image).
"""

from __future__ import annotations

from typing import Any

PACKAGES = ("mlflow", "mlflow-skinny", "pandas", "pyarrow", "numpy", "scipy", "cloudpickle",
            "boto3", "botocore", "pyspark", "scikit-learn", "psycopg2-binary",
            # The platform's image may ship the source build of psycopg2 instead.
            "psycopg2")


def local_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, Any]:
    """Python and package versions of this interpreter (standard library only)."""
    import os
    import platform
    import socket
    import sys
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return {"python": platform.python_version(), "python_minor": minor,
            "executable": sys.executable, "host": socket.gethostname(), "pid": os.getpid(),
            "packages": found}


def executor_versions(spark: Any, partitions: int = 2,
                      packages: tuple[str, ...] = PACKAGES) -> list[dict[str, Any]]:
    """local_versions() as seen inside executor tasks, one entry per distinct environment;
    ExecutorError when the tasks fail."""
    import mlflow_conformance.compat.environment as this
    from mlflow_conformance.spark.executors import run_tasks

    def probe(_rows: Any) -> Any:
        yield local_versions(packages)

    seen = run_tasks(spark.sparkContext, probe, this, partitions=partitions)
    distinct: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in seen:
        key = (entry["executable"], entry["python"], tuple(sorted(entry["packages"].items())))
        distinct.setdefault(key, entry)
    return list(distinct.values())
