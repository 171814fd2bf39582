"""What every Spark session the harness starts shares: the conf that keeps it quiet, and the
environment its JVMs and Python workers are launched with."""

from __future__ import annotations

import sys

QUIET_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


def launch_env() -> dict[str, str]:
    # Python workers follow PYSPARK_PYTHON; the conf alone left them on another Python.
    # HotSpot leaves /tmp/hsperfdata_<user> behind whatever java.io.tmpdir says. Through the
    # environment -UsePerfData reaches spark-submit's launcher JVM and every driver JVM,
    # including the one MLflow's requirement inference starts in a subprocess.
    return {"PYSPARK_PYTHON": sys.executable, "SPARK_LAUNCHER_OPTS": "-XX:-UsePerfData",
            "SPARK_SUBMIT_OPTS": "-XX:-UsePerfData"}
