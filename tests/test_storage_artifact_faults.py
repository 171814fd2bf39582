"""Artifact checks name the fault on the real stack: a local artifact location in the
inventory, proxied artifacts against a server run with --no-serve-artifacts, and wrong S3
credentials on the driver and inside an executor task."""

import pytest

from mlflow_conformance.cleanup.ledger import RUN_TAG, experiment_name
from mlflow_conformance.findings import Outcome
from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.stack import mlflow_server
from mlflow_conformance.stack.process import free_ports
from mlflow_conformance.storage import artifact_roundtrip as roundtrip
from mlflow_conformance.storage import artifacts
from mlflow_conformance.storage.orchestrate import (
    artifact_inventory_of,
    driver_round_trip,
    executor_round_trip,
)


@pytest.fixture
def run_id(pytestconfig):
    return run_context(pytestconfig).run_id


@pytest.fixture
def forget_s3_clients():
    roundtrip.forget_s3_clients()
    yield
    roundtrip.forget_s3_clients()


@pytest.fixture(scope="module")
def direct_server(deployment, tmp_path_factory):
    """A second server on the stack's database and S3, run with --no-serve-artifacts."""
    admin = deployment.driver_identity
    workdir = tmp_path_factory.mktemp("direct-server")
    (workdir / "tmp").mkdir()
    [port] = free_ports(1)
    record = mlflow_server.start(workdir, port, deployment.backend_db_uri, deployment.s3_endpoint,
                                 deployment.bucket, admin.access_key, admin.secret_key, "direct")
    yield f"http://127.0.0.1:{port}"
    mlflow_server.stop_server(record)


@pytest.mark.fault("STO-004", "artifact_location_local")
def test_local_artifact_location_is_reported(mlflow_client, ledger, run_id, tmp_path):
    name = experiment_name(run_id, "local-location")
    experiment_id = mlflow_client.create_experiment(
        name, artifact_location=(tmp_path / "artifacts").as_uri(), tags={RUN_TAG: run_id})
    ledger.record("experiment", experiment_id, name=name)
    try:
        finding = artifacts.judge_inventory(artifact_inventory_of(mlflow_client))
    finally:
        mlflow_client.delete_experiment(experiment_id)  # others' inventories stay clean
    assert (finding.outcome, finding.code) == (Outcome.WARN, "artifact_location_local")
    assert name in {e["name"] for e in finding.evidence["local_locations"]}


@pytest.mark.fault("STO-005", "artifacts_disabled")
def test_proxied_artifacts_against_a_no_serve_artifacts_server_are_disabled(
        direct_server, deployment, ledger, run_id, mlflow_env):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(direct_server)
    finding = driver_round_trip(client, "mlflow-artifacts", deployment.bucket, run_id,
                                ledger.record)
    assert finding.code == "artifacts_disabled"
    assert finding.evidence["steps"][0]["step"] == "log small.bin"
    # The same server's direct scheme works: the fault is the proxied mode, not the store.
    direct = driver_round_trip(client, "s3", deployment.bucket, f"{run_id}-direct",
                               ledger.record)
    assert direct.outcome is Outcome.PASS, direct.message


@pytest.mark.fault("STO-005", "s3_signature_mismatch")
def test_wrong_secret_on_the_driver_fails_the_s3_round_trip(
        mlflow_client, deployment, ledger, run_id, monkeypatch, forget_s3_clients):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "0" * 40)
    finding = driver_round_trip(mlflow_client, "s3", deployment.bucket, run_id, ledger.record)
    assert finding.code == "s3_signature_mismatch"


@pytest.mark.parametrize(("fault", "code"), [
    pytest.param("wrong secret", "s3_signature_mismatch",
                 marks=pytest.mark.fault("STO-006", "s3_signature_mismatch")),
    pytest.param("read-only keys", "s3_access_denied",
                 marks=pytest.mark.fault("STO-006", "s3_access_denied")),
])
def test_executor_with_broken_credentials_fails_the_round_trip(
        mlflow_client, deployment, spark, ledger, run_id, fault, code):
    reader = next(i for i in deployment.identities if i.expected_access == "read")
    overrides = {"AWS_SECRET_ACCESS_KEY": "0" * 40} if fault == "wrong secret" else {
        "AWS_ACCESS_KEY_ID": reader.access_key, "AWS_SECRET_ACCESS_KEY": reader.secret_key}
    finding = executor_round_trip(mlflow_client, deployment, spark, ledger.record, run_id,
                                  overrides)
    assert finding.code == code, finding.message
    assert finding.evidence["access_key"] == overrides.get("AWS_ACCESS_KEY_ID",
                                                           deployment.executor_identity.access_key)
