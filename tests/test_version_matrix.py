"""The report's version matrix shows where the checks ran: the harness host, the Spark driver
and each executor environment the compatibility checks saw, also when xdist workers saw them."""

import json

from mlflow_conformance.compat.env_policy import matrix_columns
from mlflow_conformance.spark.executors import ExecutorError, failure

DRIVER = {"python": "3.11.7", "python_minor": "3.11", "executable": "/venv/bin/python",
          "host": "driver-0", "pid": 11, "packages": {"mlflow": "3.17.2"}}
EXECUTOR = {**DRIVER, "host": "exec-1", "pid": 12, "packages": {"mlflow": "3.16.0"}}


def test_columns_name_driver_executors_and_the_jvm_but_no_pids():
    columns = matrix_columns({"driver": DRIVER, "executors": [EXECUTOR], "jvm_spark": "3.5.7"})
    assert columns == {
        "spark_driver": {"python": "3.11.7", "host": "driver-0",
                         "executable": "/venv/bin/python", "packages": {"mlflow": "3.17.2"}},
        "spark_executors": [{"python": "3.11.7", "host": "exec-1",
                             "executable": "/venv/bin/python", "packages": {"mlflow": "3.16.0"}}],
        "spark": {"jvm_spark": "3.5.7"}}


def test_executors_that_never_answered_are_no_column():
    broken = failure(ExecutorError("PYTHON_VERSION_MISMATCH: ..."), "collecting")
    columns = matrix_columns({"driver": DRIVER, "executors": broken, "jvm_spark": "3.5.7"})
    assert set(columns) == {"spark_driver", "spark"}


def test_a_real_run_with_workers_reports_driver_and_executor_columns(
        stack_pointer, run_harness, tmp_path):
    done = run_harness("suites/test_compatibility.py", "-n", "2",
                       "--report-dir", str(tmp_path / "report"),
                       env={"MLFLOW_CONFORMANCE_STACK_POINTER": str(stack_pointer)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    environment = json.loads((tmp_path / "report" / "results.json").read_text())["environment"]
    assert set(environment) >= {"harness_host", "spark_driver", "spark_executors", "spark"}
    assert environment["spark_driver"]["packages"]["mlflow"]
    assert all(e["packages"]["mlflow"] for e in environment["spark_executors"])
    page = (tmp_path / "report" / "report.html").read_text()
    assert "<th>spark_driver</th>" in page
