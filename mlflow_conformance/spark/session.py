"""What every Spark session the harness starts shares: the conf that keeps it quiet, and the
environment its JVMs and Python workers are launched with."""

from __future__ import annotations

import sys
from typing import Any

from .. import progress

QUIET_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


def launch_env() -> dict[str, str]:
    # Python workers follow PYSPARK_PYTHON; the conf alone left them on another Python.
    # HotSpot leaves /tmp/hsperfdata_<user> behind whatever java.io.tmpdir says. Through the
    # environment -UsePerfData reaches spark-submit's launcher JVM and every driver JVM,
    # including the one MLflow's requirement inference starts in a subprocess.
    return {"PYSPARK_PYTHON": sys.executable, "SPARK_LAUNCHER_OPTS": "-XX:-UsePerfData",
            "SPARK_SUBMIT_OPTS": "-XX:-UsePerfData"}


HADOOP = "spark.hadoop."
EXECUTOR_ENV = "spark.executorEnv."


def split_secrets(conf: dict[str, str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(conf without secrets, Hadoop secrets, environment secrets). pyspark starts the JVM with
    every setting as a `--conf` argument, which `ps` shows to every user of the machine: the
    secrets reach the JVM another way (set_secrets, and the launch environment the JVM and
    its Python workers inherit)."""
    from ..redact import is_secret_key

    public = {k: v for k, v in conf.items() if not is_secret_key(k)}
    hidden = {k: v for k, v in conf.items() if is_secret_key(k)}
    hadoop = {k[len(HADOOP):]: v for k, v in hidden.items() if k.startswith(HADOOP)}
    env = {k[len(EXECUTOR_ENV):]: v for k, v in hidden.items() if k.startswith(EXECUTOR_ENV)}
    unplaced = set(hidden) - {HADOOP + k for k in hadoop} - {EXECUTOR_ENV + k for k in env}
    if unplaced:  # a secret setting with no other way in: say so rather than drop it
        raise ValueError(f"secret Spark settings with no secret-free way in: {sorted(unplaced)}")
    return public, hadoop, env


def set_secrets(session: object, hadoop: dict[str, str]) -> None:
    """The Hadoop secrets, set in the running JVM's Hadoop configuration (before any file
    system is created: the S3A file system reads them when first used)."""
    configuration = session.sparkContext._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
    for key, value in hadoop.items():
        configuration.set(key, value)


def get_or_create(builder: Any) -> Any:
    """``builder.getOrCreate()`` as a step: the driver JVM takes seconds to come up."""
    with progress.step("starting the Spark session"):
        return builder.getOrCreate()
