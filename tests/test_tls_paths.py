"""TLS on every path, not only the connectivity probe's: the S3 checks (the s3 probe on the
driver and in an executor task, the refusal matrix's setup write, the MLflow client's
artifacts on the driver and in a task), the tracking canary and the cleanup all conclude the
connectivity probe's TLS codes with the remedy of the client that failed — never s3_error,
server_error or s3_unreachable.

The broken parts are real: TLS-terminating proxies (tests/tls_servers.py, certificates from a
private CA made here) in front of the session stack's SeaweedFS S3 and `mlflow server`. Each
fault is also shown to be the TLS settings' alone: with the CA bundle the same path passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

from mlflow_conformance import tls
from mlflow_conformance.cleanup import removal
from mlflow_conformance.cleanup.ledger import Ledger, s3_prefix
from mlflow_conformance.deployment import Deployment
from mlflow_conformance.findings import Finding, Outcome
from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.storage import artifact_roundtrip as roundtrip
from mlflow_conformance.storage import s3_access, s3_matrix, s3a_io
from mlflow_conformance.storage.orchestrate import (
    driver_round_trip,
    executor_round_trip,
    refusals,
)
from mlflow_conformance.tracking import canary
from tests.inner_session import ROOT
from tests.registry_helpers import behind, target_args, target_env
from tests.tls_servers import PrivateCA, tls_proxy

TIMEOUT = 3.0
AWS_BUNDLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class S3Fronts:
    """TLS proxies in front of the stack's S3, by certificate, and the CA that signed them."""

    urls: dict[str, str]
    ca_file: Path


def port_of(url: str) -> int:
    return int(urlparse(url).port or 0)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    return PrivateCA(tmp_path_factory.mktemp("tls-paths-pki"), "private-s3-ca")


@pytest.fixture(scope="module")
def s3_fronts(deployment: Deployment, ca: PrivateCA) -> Iterator[S3Fronts]:
    assert deployment.s3_endpoint
    upstream = port_of(deployment.s3_endpoint)
    # The client's Host stays (rewrite_host=False): S3 signs it.
    with tls_proxy(upstream, ca.issue("s3"), rewrite_host=False) as good, \
            tls_proxy(upstream, ca.issue("s3-wrong-name", ("s3.other.example",)),
                      rewrite_host=False) as wrong, \
            tls_proxy(upstream, ca.issue("s3-expired", days_from=-3, days_to=-1),
                      rewrite_host=False) as expired:
        yield S3Fronts({"good": good.url, "wrong-name": wrong.url, "expired": expired.url,
                        "http-to-tls": good.url.replace("https://", "http://")}, ca.ca_file)


@pytest.fixture
def no_ambient_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only what a test gives the deployment may be trusted (boto3 falls back to these).
    for variable in AWS_BUNDLES:
        monkeypatch.delenv(variable, raising=False)


def over_tls(deployment: Deployment, endpoint: str, bundle: Path | None) -> Deployment:
    """The deployment with its S3 behind ``endpoint`` and --s3-ca-bundle ``bundle``."""
    return replace(deployment, s3_endpoint=endpoint,
                   s3_ca_bundle=str(bundle) if bundle else None,
                   job_env={**deployment.job_env, "MLFLOW_S3_ENDPOINT_URL": endpoint})


def prefix() -> str:
    return f"conformance/tls-{uuid.uuid4().hex[:8]}/"


# --- STO-001: the s3 probe on the driver ---------------------------------------------------

S3_CASES = [
    # (front, bundle given, code, what the remedy names)
    ("good", False, "tls_untrusted", "--s3-ca-bundle"),
    ("wrong-name", True, "tls_hostname_mismatch", "MLFLOW_S3_ENDPOINT_URL"),
    ("expired", True, "tls_expired", "renew"),
    ("http-to-tls", False, "tls_handshake_failed", "https://"),
]


def driver_access(deployment: Deployment) -> Finding:
    identity = deployment.driver_identity
    check = s3_matrix.inputs(deployment, prefix(), "write", s3_matrix.credentials(identity),
                             TIMEOUT, large_bytes=4096)
    [result] = s3_matrix.on_driver([check], TIMEOUT)
    return s3_access.judge_access(result, "admin", "driver")


@pytest.mark.parametrize(("front", "bundled", "code", "named"), [
    pytest.param(*case, id=case[0], marks=pytest.mark.fault("STO-001", case[2]))
    for case in S3_CASES])
def test_the_driver_s3_check_concludes_the_tls_code_not_s3_error(
        deployment, s3_fronts, no_ambient_bundle, front, bundled, code, named):
    target = over_tls(deployment, s3_fronts.urls[front], s3_fronts.ca_file if bundled else None)
    finding = driver_access(target)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, code), finding.message
    assert named in finding.remedy
    operations = finding.evidence["operations"]
    assert operations[0]["tls"] == code
    # A TLS failure blocks the rest: nothing is written through a connection nobody trusts.
    assert all(op.get("blocked_by") == "head_bucket" for op in operations[1:])


def test_with_the_s3_bundle_the_driver_s3_check_passes_through_the_tls_front(
        deployment, s3_fronts, no_ambient_bundle):
    # --s3-ca-bundle reaches the probe through s3_matrix.inputs.
    finding = driver_access(over_tls(deployment, s3_fronts.urls["good"], s3_fronts.ca_file))
    assert finding.outcome is Outcome.PASS, finding.message


# --- STO-003: the refusal matrix's setup write -----------------------------------------------

@pytest.mark.fault("STO-003", "tls_untrusted")
def test_the_refusal_checks_name_an_untrusted_s3_certificate(deployment, s3_fronts,
                                                             no_ambient_bundle):
    finding = refusals(over_tls(deployment, s3_fronts.urls["good"], None), prefix(), TIMEOUT)
    assert (finding.outcome, finding.code) == (Outcome.ERROR, "tls_untrusted"), finding.message
    assert "--s3-ca-bundle" in finding.remedy


# --- STO-005 / STO-006: artifacts through the MLflow client ----------------------------------

@pytest.fixture
def forget_s3_clients() -> Iterator[None]:
    roundtrip.forget_s3_clients()
    yield
    roundtrip.forget_s3_clients()


@pytest.fixture
def run_id(pytestconfig: pytest.Config) -> str:
    return run_context(pytestconfig).run_id


@pytest.mark.fault("STO-005", "tls_untrusted")
def test_the_s3_artifact_round_trip_names_an_untrusted_s3_certificate(
        mlflow_client, deployment, s3_fronts, ledger, run_id, monkeypatch, no_ambient_bundle,
        forget_s3_clients):
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_fronts.urls["good"])
    finding = driver_round_trip(mlflow_client, "s3", deployment.bucket, f"{run_id}-tls",
                                ledger.record)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "tls_untrusted"), finding.message
    # boto3's settings, not the tracking server's: the artifacts go to S3 directly.
    assert "--s3-ca-bundle" in finding.remedy
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" not in finding.remedy
    # The bundle as the harness exports it to the MLflow client (AWS_CA_BUNDLE): it passes.
    monkeypatch.setenv("AWS_CA_BUNDLE", str(s3_fronts.ca_file))
    roundtrip.forget_s3_clients()
    passed = driver_round_trip(mlflow_client, "s3", deployment.bucket, f"{run_id}-tls-ok",
                               ledger.record)
    assert passed.outcome is Outcome.PASS, passed.message


@pytest.mark.fault("STO-006", "tls_hostname_mismatch")
def test_the_executor_artifact_round_trip_names_a_certificate_for_another_host(
        mlflow_client, deployment, spark, s3_fronts, ledger, run_id):
    # Trusted (the bundle is given to the task) but issued for s3.other.example.
    overrides = {"MLFLOW_S3_ENDPOINT_URL": s3_fronts.urls["wrong-name"],
                 "AWS_CA_BUNDLE": str(s3_fronts.ca_file)}
    finding = executor_round_trip(mlflow_client, deployment, spark, ledger.record,
                                  f"{run_id}-tls-exec", overrides)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "tls_hostname_mismatch"), \
        finding.message
    assert "MLFLOW_S3_ENDPOINT_URL" in finding.remedy


# --- STO-002: the s3 probe inside an executor task --------------------------------------------

@pytest.mark.fault("STO-002", "tls_expired")
def test_the_executor_s3_check_names_an_expired_certificate(deployment, spark, s3_fronts):
    target = over_tls(deployment, s3_fronts.urls["expired"], s3_fronts.ca_file)
    identity = deployment.executor_identity or deployment.driver_identity
    check = s3_matrix.inputs(target, prefix(), "write", s3_matrix.credentials(identity),
                             TIMEOUT, large_bytes=4096)
    result = s3_matrix.on_executor(spark, check)
    finding = s3_access.judge_access(result, "executor", "executor")
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "tls_expired"), finding.message
    assert "renew" in finding.remedy


def test_an_ssl_error_recorded_without_a_code_gets_the_same_classification():
    # An executor task without the connectivity probe records only botocore's words.
    record = {"op": "head_bucket", "ok": False, "error_code": "SSLError", "exception":
              "SSLError", "error": "SSL validation failed for https://s3.example "
              "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
              "issuer certificate (_ssl.c:1010)"}
    assert s3_access.classify(record) == "tls_untrusted"


# --- S3A-003: the JVM's own TLS failure ---------------------------------------------------------

@pytest.mark.fault("S3A-003", "tls_untrusted")
def test_an_s3a_io_error_from_the_jvms_tls_is_tls_untrusted(spark, s3_fronts):
    """The JVM (JSSE, which S3A's HTTP client uses) refusing the private CA: its real error,
    judged as the s3a write's (the local stack has no hadoop-aws to write through)."""
    jvm = spark._jvm
    connection = jvm.java.net.URL(s3_fronts.urls["good"] + "/").openConnection()
    connection.setConnectTimeout(int(TIMEOUT * 1000))
    connection.setReadTimeout(int(TIMEOUT * 1000))
    with pytest.raises(Exception) as failed:  # noqa: PT011 - Py4JJavaError
        connection.getResponseCode()
    evidence = {"path": "s3a://bucket/x.parquet",
                "steps": [{"step": "write", "ok": False, "error": s3a_io._error(failed.value)}]}
    finding = s3a_io.judge_io(evidence, "bucket")
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "tls_untrusted"), finding.message
    assert "javax.net.ssl.trustStore" in finding.remedy


# --- TRK: the tracking canary behind a TLS front ----------------------------------------------

@pytest.fixture(scope="module")
def tracking_front(deployment: Deployment, ca: PrivateCA) -> Iterator[str]:
    with tls_proxy(port_of(deployment.tracking_uri), ca.issue("tracking")) as proxy:
        yield proxy.url


@pytest.mark.fault("TRK-001", "tls_untrusted")
@pytest.mark.fault("TRK-004", "tls_untrusted")
def test_the_tracking_canary_names_an_untrusted_server_certificate(deployment, tracking_front,
                                                                  tmp_path):
    book = Ledger(tmp_path / "ledger.jsonl", "mcselftest" + uuid.uuid4().hex[:6])
    try:
        found = canary.run_canary(behind(deployment, tracking_front), book)
    finally:
        assert removal.remove_entries(book.entries(), deployment).failed == []
    for key in ("experiment", "rest"):
        finding = found[key]
        assert (finding.outcome, finding.code) == (Outcome.FAIL, "tls_untrusted"), finding
        assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in finding.remedy


# --- cleanup: removal and sweep use the deployment's S3 CA bundle ----------------------------

def test_removal_deletes_through_a_tls_s3_with_the_ca_bundle(deployment, s3_fronts,
                                                             no_ambient_bundle):
    target = over_tls(deployment, s3_fronts.urls["good"], s3_fronts.ca_file)
    assert target.bucket
    where = prefix()
    client = removal.s3_client(target, target.driver_identity)
    for key in ("a.bin", "deeper/b.bin"):
        client.put_object(Bucket=target.bucket, Key=where + key, Body=b"x")
    assert removal.delete_s3_prefix(target, target.bucket, where) == 2
    assert client.list_objects_v2(Bucket=target.bucket, Prefix=where).get("KeyCount") == 0
    # Without the bundle the same removal fails on TLS, with its code.
    untrusted = replace(target, s3_ca_bundle=None)
    with pytest.raises(Exception) as failed:  # noqa: PT011 - botocore's SSLError
        removal.delete_s3_prefix(untrusted, target.bucket, where)
    found = tls.classify(failed.value, "s3")
    assert found is not None
    assert found.code == "tls_untrusted"


def test_the_ledger_settles_an_s3_prefix_through_a_tls_s3(deployment, s3_fronts, tmp_path,
                                                          no_ambient_bundle):
    # What the session's ledger, finish_ledgers and sweep run: remove_entries on the entries.
    target = over_tls(deployment, s3_fronts.urls["good"], s3_fronts.ca_file)
    where = prefix()
    removal.s3_client(target, target.driver_identity).put_object(
        Bucket=target.bucket, Key=where + "left.bin", Body=b"x")
    book = Ledger(tmp_path / "ledger.jsonl", "mcselftest" + uuid.uuid4().hex[:6])
    book.record("s3_prefix", f"{target.bucket}/{where}")
    outcome = removal.settle([book], target)
    assert outcome.failed == []
    assert [e.kind for e in outcome.removed] == ["s3_prefix"]
    assert book.entries() == []


def test_sweep_finds_and_removes_a_run_prefix_on_a_tls_s3(deployment, s3_fronts,
                                                          no_ambient_bundle):
    """`sweep`, as an operator runs it, against S3 behind the private CA (its bundle from
    AWS_CA_BUNDLE, which --s3-ca-bundle falls back to)."""
    target = over_tls(deployment, s3_fronts.urls["good"], s3_fronts.ca_file)
    run = "mcselftest" + uuid.uuid4().hex[:8]
    key = f"{s3_prefix(run)}left/behind.bin"
    client = removal.s3_client(target, target.driver_identity)
    client.put_object(Bucket=target.bucket, Key=key, Body=b"x")
    env = {**os.environ, **target_env(target), "AWS_CA_BUNDLE": str(s3_fronts.ca_file)}
    done = subprocess.run(
        [sys.executable, "-m", "mlflow_conformance", "sweep",
         *target_args(target, deployment.tracking_uri), "--run-id", run],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"s3_prefix {target.bucket}/{s3_prefix(run)}" in done.stdout
    assert client.list_objects_v2(Bucket=target.bucket, Prefix=s3_prefix(run))["KeyCount"] == 0
