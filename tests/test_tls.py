"""TLS as MLflow and boto3 do it: the same settings and the same diagnosis codes on every path.

A TLS-terminating proxy made here, with certificates from a private CA made here, stands in
front of the session stack's real `mlflow server` (an ingress with a private CA) and of its
real S3. Without the CA bundle each broken certificate gives its own code in the connectivity
probe, the REST client and the MLflow client alike; with the bundle — as the option or as
MLflow's own MLFLOW_TRACKING_SERVER_CERT_PATH — all three pass, with insecure TLS they pass
against a self-signed server, and boto3 passes with --s3-ca-bundle.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

from mlflow_conformance import tls
from mlflow_conformance.deployment import Deployment
from mlflow_conformance.findings import Outcome
from mlflow_conformance.fixtures.probes import run_connectivity
from mlflow_conformance.options import resolve
from mlflow_conformance.probes.connectivity import speaks_tls
from mlflow_conformance.probes.runner import run_probe
from mlflow_conformance.targets import remote_deployment
from mlflow_conformance.transport.mlflow_client import client_environment, driver_session
from mlflow_conformance.transport.rest import Rest
from mlflow_conformance.transport.s3client import s3_client
from tests.fault_servers import silent_server
from tests.tls_servers import PrivateCA, tls_proxy

TIMEOUT = 3.0


@dataclass(frozen=True)
class Pki:
    ca: PrivateCA
    client_pem: Path


@dataclass(frozen=True)
class Ingress:
    """TLS proxies in front of the stack's tracking server, by certificate."""

    urls: dict[str, str]
    ca_file: Path
    client_pem: Path
    plain_url: str  # the stack's own plain-HTTP server


def port_of(url: str) -> int:
    return int(urlparse(url).port or 0)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    ca = PrivateCA(tmp_path_factory.mktemp("tls-pki"), "private-ingress-ca")
    return Pki(ca, ca.client_pem())


@pytest.fixture(scope="module")
def ingress(deployment: Deployment, pki: Pki) -> Iterator[Ingress]:
    upstream = port_of(deployment.tracking_uri)
    ca = pki.ca
    certs = {"good": ca.issue("good"),
             "wrong-name": ca.issue("wrong-name", ("mlflow.other.example",)),
             "expired": ca.issue("expired", days_from=-3, days_to=-1),
             "self-signed": ca.self_signed()}
    with tls_proxy(upstream, certs["good"]) as good, \
            tls_proxy(upstream, certs["wrong-name"]) as wrong, \
            tls_proxy(upstream, certs["expired"]) as expired, \
            tls_proxy(upstream, certs["self-signed"]) as self_signed, \
            tls_proxy(upstream, certs["good"], client_ca=ca.ca_file) as mutual:
        yield Ingress({"good": good.url, "wrong-name": wrong.url, "expired": expired.url,
                       "self-signed": self_signed.url, "mutual": mutual.url,
                       "http-to-tls": good.url.replace("https://", "http://")},
                      ca.ca_file, pki.client_pem, deployment.tracking_uri)


def remote(url: str, **tls_settings: object) -> Deployment:
    return Deployment("remote", url, job_env={"MLFLOW_TRACKING_URI": url},
                      **tls_settings)  # type: ignore[arg-type]


def codes(deployment: Deployment) -> dict[str, tuple[str, str]]:
    found = run_connectivity(deployment, TIMEOUT)
    return {name: (f.outcome.value, f.code) for name, f in found.items()}


def rest_error(deployment: Deployment) -> BaseException | None:
    try:
        Rest.for_deployment(deployment, timeout=TIMEOUT).post("/experiments/search",
                                                              max_results=1)
    except Exception as exc:  # noqa: BLE001 - the failure is what is judged
        return exc
    return None


def mlflow_error(deployment: Deployment) -> BaseException | None:
    from mlflow import MlflowClient

    with driver_session(replace(deployment, job_env={
            **deployment.job_env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"})):
        try:
            MlflowClient().search_experiments(max_results=1)
        except Exception as exc:  # noqa: BLE001
            return exc
    return None


def assert_all_clients_pass(deployment: Deployment) -> None:
    assert set(codes(deployment).values()) == {("pass", "ok")}
    assert rest_error(deployment) is None
    assert mlflow_error(deployment) is None


def assert_tls_failure(found: dict[str, tuple[str, str]], code: str) -> None:
    assert found["dns"] == found["tcp"] == ("pass", "ok")
    assert found["health"] == ("fail", code)
    # The first TLS failure blocks the later steps with the same diagnosis.
    assert found["version"] == found["api"] == ("fail", code)


# --- each broken certificate: its own code, the same from every client -----------------------

CASES = [
    # (certificate, code, text the remedy names)
    ("good", "tls_untrusted", "MLFLOW_TRACKING_SERVER_CERT_PATH"),  # a private CA, no bundle
    ("self-signed", "tls_untrusted", "MLFLOW_TRACKING_INSECURE_TLS"),
    ("wrong-name", "tls_hostname_mismatch", "SANs"),
    ("expired", "tls_expired", "renew"),
    ("http-to-tls", "tls_handshake_failed", "https://"),
]


@pytest.mark.fault("NET-003", "tls_untrusted")
@pytest.mark.fault("NET-004", "tls_untrusted")
@pytest.mark.fault("NET-005", "tls_untrusted")
def test_a_private_ca_without_its_bundle_is_tls_untrusted_not_connection_refused(ingress):
    found = run_connectivity(remote(ingress.urls["good"]), TIMEOUT)
    assert_tls_failure({k: (f.outcome.value, f.code) for k, f in found.items()},
                       "tls_untrusted")
    health = found["health"]
    assert "CERTIFICATE_VERIFY_FAILED" in health.message
    assert "--tracking-ca-bundle" in health.remedy
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in health.remedy
    assert health.evidence["tls_settings"] == {"ca_bundle": None, "insecure_tls": False,
                                               "client_cert": None}
    assert found["api"].evidence["blocked_by"] == "health"


@pytest.mark.fault("NET-003", "tls_untrusted")
def test_a_self_signed_certificate_is_tls_untrusted(ingress):
    assert_tls_failure(codes(remote(ingress.urls["self-signed"])), "tls_untrusted")


@pytest.mark.fault("NET-003", "tls_hostname_mismatch")
@pytest.mark.fault("NET-005", "tls_hostname_mismatch")
def test_a_certificate_for_another_host_is_tls_hostname_mismatch(ingress):
    # Trusted (the bundle is given), but issued for mlflow.other.example, not 127.0.0.1.
    found = codes(remote(ingress.urls["wrong-name"], tracking_ca_bundle=str(ingress.ca_file)))
    assert_tls_failure(found, "tls_hostname_mismatch")


@pytest.mark.fault("NET-003", "tls_expired")
@pytest.mark.fault("NET-004", "tls_expired")
def test_an_expired_certificate_is_tls_expired(ingress):
    found = codes(remote(ingress.urls["expired"], tracking_ca_bundle=str(ingress.ca_file)))
    assert_tls_failure(found, "tls_expired")


@pytest.mark.fault("NET-003", "tls_handshake_failed")
def test_plain_http_to_the_tls_port_is_tls_handshake_failed(ingress):
    found = run_connectivity(remote(ingress.urls["http-to-tls"]), TIMEOUT)
    assert (found["health"].outcome, found["health"].code) == (Outcome.FAIL,
                                                               "tls_handshake_failed")
    assert "expects https://" in found["health"].message
    assert "https://" in found["health"].remedy


@pytest.mark.fault("NET-005", "tls_handshake_failed")
def test_tls_to_the_plain_port_is_tls_handshake_failed(ingress):
    https_to_plain = ingress.plain_url.replace("http://", "https://")
    assert_tls_failure(codes(remote(https_to_plain)), "tls_handshake_failed")


@pytest.mark.fault("NET-003", "tls_client_cert_required")
def test_mutual_tls_without_a_client_certificate_is_tls_client_cert_required(ingress):
    found = run_connectivity(remote(ingress.urls["mutual"],
                                    tracking_ca_bundle=str(ingress.ca_file)), TIMEOUT)
    assert (found["health"].outcome, found["health"].code) == (Outcome.FAIL,
                                                               "tls_client_cert_required")
    assert "MLFLOW_TRACKING_CLIENT_CERT_PATH" in found["health"].remedy


@pytest.mark.parametrize(("case", "code", "named"), CASES)
def test_the_rest_and_mlflow_clients_get_the_probes_code_and_remedy(ingress, case, code, named):
    deployment = remote(ingress.urls[case], **({"tracking_ca_bundle": str(ingress.ca_file)}
                                               if case in ("wrong-name", "expired") else {}))
    probe = run_connectivity(deployment, TIMEOUT)["health"]
    assert probe.code == code
    assert named in probe.remedy
    for client, error in (("rest", rest_error(deployment)), ("mlflow", mlflow_error(deployment))):
        assert error is not None, client
        diagnosis = tls.classify(error, url=deployment.tracking_uri)
        assert diagnosis is not None, (client, error)
        assert (client, diagnosis.code, diagnosis.remedy) == (client, code, probe.remedy)


def test_the_clients_classify_mutual_tls_without_a_certificate_alike(ingress):
    deployment = remote(ingress.urls["mutual"], tracking_ca_bundle=str(ingress.ca_file))
    for client, error in (("rest", rest_error(deployment)), ("mlflow", mlflow_error(deployment))):
        assert error is not None, client
        diagnosis = tls.classify(error)
        assert diagnosis is not None, (client, error)
        assert diagnosis.code == "tls_client_cert_required", (client, error)


def test_a_failure_that_is_not_tls_is_not_classified_as_tls(ingress):
    import requests

    closed = remote("http://127.0.0.1:9")
    error = rest_error(closed)
    assert isinstance(error, requests.ConnectionError)
    assert tls.classify(error, url=closed.tracking_uri) is None
    # A plain server that drops the connection is not taken for a TLS port either.
    with silent_server() as port:
        assert not speaks_tls("127.0.0.1", port, 0.5)


# --- the settings given: every client passes ----------------------------------------------------

def test_with_the_ca_bundle_option_the_probe_rest_and_mlflow_clients_pass(ingress):
    assert_all_clients_pass(remote(ingress.urls["good"], tracking_ca_bundle=str(ingress.ca_file)))


def test_mlflows_own_cert_path_variable_reaches_every_client(ingress):
    # What a user sets for the MLflow client, read through the options into the deployment.
    settings = resolve({"tracking-uri": ingress.urls["good"]},
                       environ={"MLFLOW_TRACKING_SERVER_CERT_PATH": str(ingress.ca_file)})
    deployment = remote_deployment(settings, environ={})
    assert deployment.tracking_ca_bundle == str(ingress.ca_file)
    assert client_environment(deployment)["MLFLOW_TRACKING_SERVER_CERT_PATH"] == str(
        ingress.ca_file)
    assert_all_clients_pass(deployment)


def test_insecure_tls_passes_against_a_self_signed_server(ingress):
    settings = resolve({"tracking-uri": ingress.urls["self-signed"]},
                       environ={"MLFLOW_TRACKING_INSECURE_TLS": "true"})
    deployment = remote_deployment(settings, environ={})
    assert deployment.tracking_insecure_tls
    assert client_environment(deployment)["MLFLOW_TRACKING_INSECURE_TLS"] == "true"
    assert_all_clients_pass(deployment)


def test_insecure_tls_wins_over_a_bundle_in_the_process_environment(ingress, monkeypatch):
    # MLflow refuses both at once; the deployment's settings are the whole truth in a session.
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(ingress.ca_file))
    deployment = remote(ingress.urls["self-signed"], tracking_insecure_tls=True,
                        tracking_ca_bundle=str(ingress.ca_file))
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" not in client_environment(deployment)
    assert mlflow_error(deployment) is None


def test_with_a_client_certificate_mutual_tls_passes_every_client(ingress):
    settings = resolve({"tracking-uri": ingress.urls["mutual"],
                        "tracking-ca-bundle": str(ingress.ca_file)},
                       environ={"MLFLOW_TRACKING_CLIENT_CERT_PATH": str(ingress.client_pem)})
    deployment = remote_deployment(settings, environ={})
    assert client_environment(deployment)["MLFLOW_TRACKING_CLIENT_CERT_PATH"] == str(
        ingress.client_pem)
    assert_all_clients_pass(deployment)
    # A path is evidence, the key inside the file never is.
    key_text = ingress.client_pem.read_text().split("-----BEGIN PRIVATE KEY-----")[1][:40]
    assert key_text not in json.dumps(deployment.describe()) + repr(deployment)


def test_the_token_reaches_the_mlflow_client_environment():
    deployment = Deployment("remote", "https://mlflow.example", tracking_token="t0ken-value")
    assert client_environment(deployment)["MLFLOW_TRACKING_TOKEN"] == "t0ken-value"
    assert "t0ken-value" not in repr(deployment)
    assert "t0ken-value" in deployment.secrets()


def test_the_s3_bundle_falls_back_to_aws_then_requests_variables(tmp_path):
    aws, requests_bundle = tmp_path / "aws.pem", tmp_path / "requests.pem"
    aws.write_text("x")
    requests_bundle.write_text("x")
    both = resolve({}, environ={"AWS_CA_BUNDLE": str(aws),
                                "REQUESTS_CA_BUNDLE": str(requests_bundle)})
    assert both["s3-ca-bundle"] == str(aws)
    assert resolve({}, environ={"REQUESTS_CA_BUNDLE": str(requests_bundle)})[
        "s3-ca-bundle"] == str(requests_bundle)


# --- boto3 behind a TLS proxy with the private CA -----------------------------------------------

@pytest.fixture(scope="module")
def s3_ingress(deployment: Deployment, pki: Pki) -> Iterator[str]:
    assert deployment.s3_endpoint
    with tls_proxy(port_of(deployment.s3_endpoint), pki.ca.issue("s3"),
                   rewrite_host=False) as proxy:
        yield proxy.url


def test_boto3_without_the_s3_bundle_is_tls_untrusted_and_works_with_it(deployment, s3_ingress,
                                                                       pki, monkeypatch):
    for variable in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    identity = deployment.driver_identity
    with pytest.raises(Exception) as failed:  # noqa: PT011 - botocore's SSLError
        s3_client(s3_ingress, identity, timeout=TIMEOUT).head_bucket(Bucket=deployment.bucket)
    diagnosis = tls.classify(failed.value, "s3")
    assert diagnosis is not None
    assert diagnosis.code == "tls_untrusted"
    assert "--s3-ca-bundle" in diagnosis.remedy
    assert "AWS_CA_BUNDLE" in diagnosis.remedy
    settings = resolve({"s3-ca-bundle": str(pki.ca.ca_file)}, environ={})
    client = s3_client(s3_ingress, identity, timeout=TIMEOUT, ca_bundle=settings["s3-ca-bundle"])
    client.head_bucket(Bucket=deployment.bucket)


def test_the_s3_probe_records_the_tls_code_and_passes_with_the_bundle(deployment, s3_ingress,
                                                                     pki, monkeypatch):
    for variable in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    identity = deployment.driver_identity
    assert identity is not None
    # The write plan ends by deleting what it wrote; a small "large" object keeps it quick.
    check = {"endpoint": s3_ingress, "bucket": deployment.bucket,
             "prefix": f"conformance/tls-{uuid.uuid4().hex[:8]}/", "plan": "write",
             "timeout": TIMEOUT, "large_bytes": 4096,
             "credentials": {"access_key": identity.access_key,
                             "secret_key": identity.secret_key}}
    [without] = run_probe("s3", {"checks": [check]}, timeout=60)["checks"]
    first = without["operations"][0]
    assert (first["op"], first["exception"], first["tls"]) == ("head_bucket", "SSLError",
                                                               "tls_untrusted")
    # The TLS failure blocks every later operation (no write is tried).
    assert all(op.get("blocked_by") == "head_bucket" for op in without["operations"][1:])
    [given] = run_probe("s3", {"checks": [{**check, "ca_bundle": str(pki.ca.ca_file)}]},
                        timeout=60)["checks"]
    assert [op["op"] for op in given["operations"] if not op["ok"]] == []


@pytest.mark.fault("NET-003", "tls_handshake_failed")
def test_a_bundle_that_is_not_pem_is_named_not_taken_for_an_untrusted_server(ingress, tmp_path):
    not_pem = tmp_path / "bundle.txt"
    not_pem.write_text("this is not a certificate\n")
    found = run_connectivity(remote(ingress.urls["good"], tracking_ca_bundle=str(not_pem)),
                             TIMEOUT)
    health = found["health"]
    assert (health.outcome, health.code) == (Outcome.FAIL, "tls_handshake_failed")
    assert "could not load the CA bundle" in health.message
    assert "PEM" in health.remedy
    assert health.evidence["tls_settings"]["ca_bundle"] == str(not_pem)
