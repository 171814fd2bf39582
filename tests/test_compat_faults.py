"""Version checks name the fault with real parts: an MLflow 2.22 server (its own virtualenv
and SQLite database), executors running the 2.22 virtualenv's or another Python, a gateway
answering /version with HTML, a dead server."""

import contextlib
from pathlib import Path

import pytest

from mlflow_conformance.compat import backend_schema, env_policy, server_facts, versions
from mlflow_conformance.findings import Outcome
from mlflow_conformance.transport.rest import Rest
from tests.fault_servers import closed_port, http_server
from tests.storage_helpers import old_mlflow_server, old_mlflow_venv

TIMEOUT = 3.0
OTHER_PYTHONS = ("/root/.pyenv/versions/3.12.1/bin/python3.12", "/usr/bin/python3.12",
                 "/root/.pyenv/versions/3.10.13/bin/python3.10")


@pytest.fixture(scope="module")
def old_venv_python():
    python, seconds = old_mlflow_venv()
    print(f"mlflow 2.22 virtualenv ready in {seconds} s")  # shown with -s / in the log
    return python


@pytest.fixture(scope="module")
def old_server(old_venv_python, tmp_path_factory):
    with old_mlflow_server(old_venv_python, tmp_path_factory.mktemp("mlflow222")) as running:
        yield running


def facts_at(uri: str) -> dict:
    return server_facts.collect(Rest(uri, timeout=TIMEOUT))


@pytest.fixture(scope="module")
def facts_of_ours(deployment):
    return facts_at(deployment.tracking_uri)


@contextlib.contextmanager
def executors_running(spark, python):
    """Python workers of the next jobs start from ``python`` (restored afterwards)."""
    context = spark.sparkContext
    before = context.pythonExec
    context.pythonExec = str(python)
    try:
        yield
    finally:
        context.pythonExec = before


@pytest.mark.fault("CMP-001", "version_skew")
def test_driver_against_a_2_22_server_is_version_skew(old_server):
    uri, _database = old_server
    finding = versions.judge_client("3.17.2", facts_at(uri), "driver")
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "version_skew")
    assert finding.evidence["server_version"] == "2.22.5"


@pytest.mark.fault("CMP-003", "logged_models_missing")
def test_2_22_server_lacks_the_logged_models_api(old_server):
    uri, _database = old_server
    finding = versions.judge_logged_models("3.17.2", facts_at(uri))
    assert finding.code == "logged_models_missing"
    assert finding.evidence["logged_models_search"]["status"] == 404


@pytest.mark.fault("SCH-001", "schema_behind")
def test_2_22_database_is_at_its_head_and_behind_for_3_17(old_server):
    _uri, database = old_server
    db = backend_schema.read_revision(database)
    package = backend_schema.migrations()
    assert backend_schema.judge(db, "2.22.5", package).outcome is Outcome.PASS
    behind = backend_schema.judge(db, "3.17.2", package)
    assert (behind.code, db["revisions"]) == ("schema_behind", ["0584bdc529eb"])
    assert "mlflow db upgrade" in behind.remedy


@pytest.mark.fault("CMP-002", "version_skew")
@pytest.mark.fault("CMP-006", "package_missing")
def test_executors_on_mlflow_2_22_are_version_skew_and_drift(spark, old_venv_python,
                                                             facts_of_ours):
    with executors_running(spark, old_venv_python):
        collected = env_policy.collect(spark)
    skew = env_policy.with_executors(collected, lambda _d, envs: versions.judge_clients(
        [(e["executable"], e["packages"]["mlflow"]) for e in envs], facts_of_ours))
    assert skew.code == "version_skew", skew.message
    drift = env_policy.with_executors(collected, env_policy.judge_packages)
    # The 2.22 virtualenv has MLflow and its dependencies only: the platform's other client
    # packages are missing there, which outranks the drift of the ones both sides have.
    assert (drift.outcome, drift.code) == (Outcome.WARN, "package_missing"), drift.message
    seen = drift.evidence["packages"]["psycopg2-binary"]
    assert seen["driver"], seen
    assert None in seen.values(), seen
    assert drift.evidence["packages"]["mlflow"]["driver"] == "3.17.2"


@pytest.mark.fault("CMP-004", "python_mismatch")
def test_executors_on_another_python_minor_are_python_mismatch(spark):
    other = next((p for p in OTHER_PYTHONS if Path(p).exists()), None)
    if other is None:
        pytest.skip(f"no Python of another minor version here ({', '.join(OTHER_PYTHONS)})")
    with executors_running(spark, other):
        collected = env_policy.collect(spark)
    finding = env_policy.with_executors(collected, env_policy.judge_python)
    assert finding.code == "python_mismatch"
    assert "PYTHON_VERSION_MISMATCH" in finding.message


@pytest.mark.fault("CMP-005", "spark_version_mismatch")
def test_pyspark_of_another_line_driving_this_jvm_is_a_mismatch(spark):
    # The JVM is real (its version read through a Spark job); no second Spark distribution is
    # installable here, so the driver's pyspark is the one a stale image layer would carry.
    jvm = env_policy.collect(spark)["jvm_spark"]
    finding = env_policy.judge_spark("3.4.1", jvm)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "spark_version_mismatch")
    assert finding.evidence == {"pyspark": "3.4.1", "jvm_spark": jvm}
    assert f"pyspark=={jvm}" in finding.remedy


@pytest.mark.fault("CMP-001", "not_mlflow_version")
def test_gateway_page_at_version_is_not_an_mlflow_version():
    with http_server(200, "<!DOCTYPE html><html>Sign in</html>",
                     {"Content-Type": "text/html"}) as port:
        facts = facts_at(f"http://127.0.0.1:{port}")
    finding = versions.judge_client("3.17.2", facts, "driver")
    assert finding.code == "not_mlflow_version"
    assert finding.evidence["body_start"].startswith("<!DOCTYPE html>")


@pytest.mark.fault("CMP-001", "connection_refused")
@pytest.mark.fault("CMP-003", "connection_refused")
def test_dead_server_is_connection_refused():
    facts = facts_at(f"http://127.0.0.1:{closed_port()}")
    assert versions.judge_client("3.17.2", facts, "driver").code == "connection_refused"
    assert versions.judge_logged_models("3.17.2", facts).code == "connection_refused"
