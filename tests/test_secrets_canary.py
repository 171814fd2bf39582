"""No secret in any byte of any output: a real run against the session's stack with distinct
canary secrets planted in every input the harness reads — a password inside the tracking URI,
MLflow's username/password and token variables, the S3 secret key, the backend database's
URI — and a server that echoes the URL and the request's Authorization header in an error
body (a conformance check fails carrying them), next to a plain test that prints, logs and
raises them (pytest's own traceback, locals, captured output, live log). Every file the run
writes (reports, pytest's junit and log file, every member of the bundle), its stdout and
stderr and every command line on the machine while it ran must be free of all of them; the
masks must be there, so the secrets did reach the outputs and were caught."""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
import yaml

from mlflow_conformance.cluster.kube import connect
from mlflow_conformance.redact import MASK, Redactor
from tests.inner_session import ROOT
from tests.registry_helpers import mlflow_proxy
from tests.test_stack import command_lines

BROKEN_ROUTE = "/api/2.0/mlflow/runs/log-inputs"  # TRK-003's step: one check fails, not all
USER = "canaryuser"

LEAKY_TEST = '''
import logging
import os


def test_a_plain_test_prints_logs_and_raises_the_secrets():
    uri = os.environ["MLFLOW_CONFORMANCE_TRACKING_URI"]
    token = os.environ["MLFLOW_TRACKING_TOKEN"]
    print("stdout carries", uri, token)
    logging.getLogger("mlflow_conformance.canary").warning("a log carries %s %s", uri, token)
    raise ConnectionError(f"API request to {uri}/api/2.0/mlflow/runs/get failed: {token}")
'''


def canary(kind: str) -> str:
    # Letters and digits only: the same in a URL, percent-encoded or not.
    return f"canary{kind}{secrets.token_hex(10)}"


def planted_forms(values: dict[str, str]) -> dict[str, bytes]:
    """Each secret as bytes, and the Basic credentials built from each password."""
    forms = {name: value.encode() for name, value in values.items()}
    for name in ("uri_password", "env_password"):
        forms[f"{name} as Basic"] = base64.b64encode(f"{USER}:{values[name]}".encode())
    return forms


def output_files(report: Path, extra: list[Path]) -> dict[str, bytes]:
    """Every byte the run wrote: files of the report folder (a bundle unpacked member by
    member, a gzip decompressed) and the extra files given."""
    found: dict[str, bytes] = {}
    for path in [*sorted(p for p in report.rglob("*") if p.is_file()), *extra]:
        data = path.read_bytes()
        found[str(path)] = data
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path, "r:gz") as tar:
                for member in tar:
                    if member.isfile():
                        handle = tar.extractfile(member)
                        assert handle is not None
                        found[f"{path}!{member.name}"] = handle.read()
        elif path.suffix == ".gz":
            found[f"{path}!"] = gzip.decompress(data)
    return found


def watch_command_lines(stop: threading.Event, seen: set[str]) -> None:
    """Every command line on the machine, sampled until ``stop``."""
    while not stop.wait(0.2):
        seen.update(command_lines())


@pytest.fixture(scope="module")
def canary_run(deployment, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("canary")
    assert deployment.driver_identity
    assert deployment.backend_db_uri
    planted = {"uri_password": canary("uri"), "env_password": canary("env"),
               "token": canary("token"),
               "s3_secret_key": deployment.driver_identity.secret_key,
               "backend_db_uri": deployment.backend_db_uri}

    def echoing(method, path, headers):
        # A server's error page that shows the request: its URL with the user's
        # credentials and its Authorization header (a 400: the client does not retry it and
        # quotes the body).
        if method == "POST" and path == BROKEN_ROUTE:
            return (400, "text/plain", f"upstream failed for {tracking_uri}{path}; "
                    f"Authorization: {headers.get('Authorization')}; token {planted['token']}")
        return None

    leaky = tmp / "test_leaky.py"
    leaky.write_text(LEAKY_TEST)
    report = tmp / "report"
    junit, log_file = tmp / "pytest-junit.xml", tmp / "pytest.log"
    with mlflow_proxy(deployment.tracking_uri, echoing) as proxy:
        tracking_uri = proxy.replace("http://", f"http://{USER}:{planted['uri_password']}@")
        env = {**os.environ,
               # Secrets stay off the command line here too: the run is given them as a
               # user gives them, in the environment.
               "MLFLOW_CONFORMANCE_TRACKING_URI": tracking_uri,
               "MLFLOW_TRACKING_USERNAME": USER,
               "MLFLOW_TRACKING_PASSWORD": planted["env_password"],
               "MLFLOW_TRACKING_TOKEN": planted["token"],
               "MLFLOW_CONFORMANCE_S3_SECRET_KEY": planted["s3_secret_key"],
               "MLFLOW_CONFORMANCE_BACKEND_DB_URI": planted["backend_db_uri"],
               "TMPDIR": str(tmp)}
        env.pop("MLFLOW_CONFORMANCE_STACK_POINTER", None)
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                   "suites/test_connectivity.py", "suites/test_tracking.py",
                   "suites/test_backend_schema.py", str(leaky),
                   "--s3-endpoint", str(deployment.s3_endpoint),
                   "--s3-bucket", str(deployment.bucket),
                   "--s3-access-key", deployment.driver_identity.access_key,
                   "--collect", "--report-dir", str(report), "-l", "-rA",
                   "--junitxml", str(junit), "--log-file", str(log_file),
                   "--log-file-level", "DEBUG", "-o", "log_cli=true",
                   "--log-cli-level", "INFO"]
        stop, command_lines = threading.Event(), set[str]()
        watcher = threading.Thread(target=watch_command_lines, args=(stop, command_lines))
        watcher.start()
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True,
                                  timeout=600, check=False)
        finally:
            stop.set()
            watcher.join()
    return done, report, [junit, log_file], planted, command_lines


def test_the_run_met_the_secrets(canary_run):
    """The planted secrets did travel: the broken step failed its check with the echoed
    body, the plain test failed, and the outputs show masks where the secrets were."""
    done, report, _, _, _ = canary_run
    stdout = done.stdout.decode()
    # TRK-003 is a should: the gate stays 0 (the plain test is not a conformance check).
    assert done.returncode == 0, stdout[-3000:] + done.stderr.decode()[-3000:]
    results = json.loads((report / "results.json").read_text())
    by_requirement = {t["requirements"][0]: t for t in results["tests"]}
    failed = json.dumps(by_requirement["TRK-003"])
    assert (by_requirement["TRK-003"]["outcome"], by_requirement["TRK-003"]["code"]) == \
        ("fail", "http_error"), failed
    assert by_requirement["TRK-001"]["outcome"] == "pass"
    assert f"upstream failed for http://{USER}:{MASK}@" in failed, failed
    assert f"Authorization: Basic {MASK}" in failed, failed
    assert f"ConnectionError: API request to http://{USER}:{MASK}@" in stdout
    assert f"token      = '{MASK}'" in stdout  # -l: the plain test's locals
    assert "Captured stdout call" in stdout
    assert "live log call" in stdout
    assert (report / "bundle.tar.gz").is_file()


def test_no_output_holds_any_planted_secret(canary_run):
    done, report, extra, planted, _ = canary_run
    outputs = {**output_files(report, extra), "stdout": done.stdout, "stderr": done.stderr}
    assert len(outputs) > 10, sorted(outputs)  # the reports, the bundle's members, the logs
    leaks = [(name, where) for name, secret in planted_forms(planted).items()
             for where, data in outputs.items() if secret in data]
    assert leaks == []


def test_no_command_line_holds_any_planted_secret(canary_run):
    *_, planted, command_lines = canary_run
    assert any("suites/test_tracking.py" in line for line in command_lines), \
        "the watcher never saw the run"
    leaks = [(name, line) for name, secret in planted.items() for line in command_lines
             if secret in line]
    assert leaks == []


SKIPPING_TEST = '''
import os
import warnings

import pytest


def test_skips_with_the_token_in_its_reason():
    warnings.warn(f"retrying {os.environ['MLFLOW_CONFORMANCE_TRACKING_URI']}")
    pytest.skip(f"no server at {os.environ['MLFLOW_CONFORMANCE_TRACKING_URI']}")
'''


def test_xdist_workers_skip_reasons_and_warnings_are_redacted_too(tmp_path):
    """Under xdist a worker's report crosses to the controller, which prints it: both ends
    redact. No stack needed: a plain failing test and a skip that warns, each carrying the
    secrets."""
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    (tmp_path / "test_skipping.py").write_text(SKIPPING_TEST)
    token, password = canary("token"), canary("uri")
    env = {**os.environ, "MLFLOW_TRACKING_TOKEN": token,
           "MLFLOW_CONFORMANCE_TRACKING_URI": f"http://{USER}:{password}@127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2",
                           "-l", "-rA", "--tb=long", str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert b"1 failed, 1 skipped" in output, output.decode()[-3000:]
    assert f"no server at http://{USER}:{MASK}@127.0.0.1:9".encode() in output
    assert f"UserWarning: retrying http://{USER}:{MASK}@127.0.0.1:9".encode() in output
    assert f"token      = '{MASK}'".encode() in output
    assert token.encode() not in output
    assert password.encode() not in output


def test_a_kubeconfigs_credentials_are_secrets_of_the_run(tmp_path, monkeypatch):
    """The bearer token and the client key a kubeconfig authenticates with (inline data the
    kubernetes client writes to a file) are what the redactor must know."""
    token, key = canary("kubetoken"), f"-----BEGIN PRIVATE KEY-----\n{canary('key')}\n" \
        "-----END PRIVATE KEY-----"
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "by-token",
              "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
              "users": [{"name": "t", "user": {"token": token}},
                        {"name": "k", "user": {
                            "client-certificate-data": base64.b64encode(b"cert").decode(),
                            "client-key-data": base64.b64encode(key.encode()).decode()}}],
              "contexts": [{"name": "by-token", "context": {"cluster": "c", "user": "t"}},
                           {"name": "by-key", "context": {"cluster": "c", "user": "k"}}]}
    (tmp_path / "kubeconfig").write_text(json.dumps(config))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    assert connect("by-token").credentials() == [token]
    assert connect("by-key").credentials() == [key]


def test_a_private_key_is_masked_wherever_it_shows():
    """A client certificate's key shipped to a probe pod shows in a dry run's manifests as an
    indented YAML block: masked without being known, and counted."""
    key = f"-----BEGIN PRIVATE KEY-----\n{canary('a')}\n{canary('b')}\n-----END PRIVATE KEY-----\n"
    manifest = yaml.safe_dump({"stringData": {"client.pem": f"-----BEGIN CERTIFICATE-----\n"
                                              f"MIIB\n-----END CERTIFICATE-----\n{key}"}})
    redactor = Redactor()
    redacted = redactor.text(manifest)
    assert "-----BEGIN CERTIFICATE-----" in redacted
    assert MASK in redacted
    assert "canary" not in redacted
    assert redactor.audit["private-key"] == 1
