"""Authenticated tracking servers: the probe sends what the MLflow client sends.

Against a real `mlflow server --app-name basic-auth` (MLflow's own auth app; /health stays
open, everything else needs credentials): no credentials and a wrong password are
`auth_required` with a remedy naming the variables; the right ones, from the variables or
written into the URI, pass connectivity and the tracking canary. Which header goes out for
each combination of URI credentials, username/password and token is compared with what the
real MLflow client sends to a recording server.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
import requests

from mlflow_conformance.cleanup.ledger import Ledger
from mlflow_conformance.deployment import Deployment
from mlflow_conformance.findings import Outcome
from mlflow_conformance.fixtures.probes import run_connectivity
from mlflow_conformance.tracking.canary import run_canary
from tests.fault_servers import QuietHandler, closed_port, serving

# Each authenticated request hashes the password (PBKDF2): slow on a busy 2-core machine.
TIMEOUT = 15.0
ADMIN = "admin"


@dataclass(frozen=True)
class AuthServer:
    url: str
    port: int
    password: str


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """MLflow's basic-auth app on sqlite stores; the admin password is made for the test."""
    home = tmp_path_factory.mktemp("basic-auth")
    config = home / "basic_auth.ini"
    config.write_text("[mlflow]\ndefault_permission = READ\n"
                      f"database_uri = sqlite:///{home / 'users.db'}\n"
                      f"admin_username = {ADMIN}\n"
                      "authorization_function = "
                      "mlflow.server.auth:authenticate_request_basic_auth\n")
    password = secrets.token_urlsafe(12)
    port = closed_port()
    env = {**os.environ, "MLFLOW_AUTH_CONFIG_PATH": str(config),
           # Passwords and the backend URI in the environment, never on a command line.
           "MLFLOW_AUTH_ADMIN_PASSWORD": password,
           "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_urlsafe(16),
           "MLFLOW_BACKEND_STORE_URI": f"sqlite:///{home / 'mlflow.db'}"}
    with open(home / "server.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--app-name", "basic-auth",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--default-artifact-root", str(home / "artifacts")],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (home / "server.log").read_text()[-3000:]
            try:
                if requests.get(url + "/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (home / "server.log").read_text()[-3000:]
            time.sleep(0.3)
        yield AuthServer(url, port, password)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def codes(deployment: Deployment) -> dict[str, tuple[Outcome, str]]:
    return {name: (f.outcome, f.code)
            for name, f in run_connectivity(deployment, TIMEOUT).items()}


def test_the_servers_open_health_does_not_hide_missing_credentials(auth_server):
    found = run_connectivity(Deployment("remote", auth_server.url), TIMEOUT)
    assert found["health"].outcome is Outcome.PASS
    assert (found["version"].outcome, found["version"].code) == (Outcome.FAIL, "auth_required")


@pytest.mark.fault("NET-005", "auth_required")
def test_no_credentials_is_auth_required(auth_server):
    found = run_connectivity(Deployment("remote", auth_server.url), TIMEOUT)
    assert (found["api"].outcome, found["api"].code) == (Outcome.FAIL, "auth_required")


@pytest.mark.fault("NET-004", "auth_required")
def test_a_wrong_password_is_auth_required_and_the_remedy_names_the_variables(auth_server):
    wrong = Deployment("remote", auth_server.url, tracking_username=ADMIN,
                       tracking_password="not-" + auth_server.password)
    found = run_connectivity(wrong, TIMEOUT)
    assert (found["version"].outcome, found["version"].code) == (Outcome.FAIL, "auth_required")
    assert "MLFLOW_TRACKING_USERNAME" in found["version"].remedy
    assert "not-" + auth_server.password not in json.dumps(
        {k: f.to_dict() for k, f in found.items()})


@pytest.mark.parametrize("where", ["variables", "uri"])
def test_the_right_credentials_pass_connectivity(auth_server, where):
    if where == "variables":
        deployment = Deployment("remote", auth_server.url, tracking_username=ADMIN,
                                tracking_password=auth_server.password)
    else:
        deployment = Deployment(
            "remote", f"http://{ADMIN}:{auth_server.password}@127.0.0.1:{auth_server.port}")
    found = run_connectivity(deployment, TIMEOUT)
    assert {k: f.code for k, f in found.items()} == dict.fromkeys(found, "ok")
    assert auth_server.password not in json.dumps({k: f.to_dict() for k, f in found.items()})
    assert auth_server.password in deployment.secrets()  # so every output redacts it


def test_the_right_credentials_pass_the_tracking_canary(auth_server, tmp_path):
    deployment = Deployment("remote", auth_server.url, tracking_username=ADMIN,
                            tracking_password=auth_server.password,
                            job_env={"MLFLOW_TRACKING_URI": auth_server.url})
    found = run_canary(deployment, Ledger(tmp_path / "ledger.jsonl", "mcauth0001"))
    assert {k: f.code for k, f in found.items() if k != "latency"} == \
        dict.fromkeys((k for k in found if k != "latency"), "ok")


class Recorder(QuietHandler):
    """Answers like an empty MLflow server and records each request's Authorization."""

    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Recorder.seen.append(self.headers.get("Authorization") or "-")
        body = b"3.17.2" if self.path.startswith("/version") else b'{"experiments": []}'
        self.send_body(200, {"Content-Type": "application/json"}, body)

    do_GET = do_POST = _answer


# (credentials in the URI, MLFLOW_TRACKING_USERNAME, _PASSWORD, _TOKEN)
COMBINATIONS = [
    ("", "u1", "p1", ""),  # basic from the variables
    ("u2:p2@", "", "", ""),  # basic from the URI
    ("", "", "", "t3"),  # bearer token
    ("", "u4", "", "t4"),  # a username without password: the token goes
    ("", "u5", "p5", "t5"),  # both: basic wins
    ("u6:p6@", "u7", "p7", ""),  # URI and variables: the URI's (requests applies it last)
]

CLIENT = """
import json, os, sys
from mlflow import MlflowClient
for userinfo, user, password, token, port in json.loads(sys.argv[1]):
    for name, value in (("MLFLOW_TRACKING_USERNAME", user), ("MLFLOW_TRACKING_PASSWORD",
                        password), ("MLFLOW_TRACKING_TOKEN", token)):
        os.environ.pop(name, None)
        if value:
            os.environ[name] = value
    MlflowClient(f"http://{userinfo}127.0.0.1:{port}").search_experiments(max_results=1)
"""


def deployment_of(port: int, userinfo: str, user: str, password: str, token: str
                  ) -> Deployment:
    return Deployment("remote", f"http://{userinfo}127.0.0.1:{port}",
                      tracking_username=user or None, tracking_password=password or None,
                      tracking_token=token or None)


@pytest.fixture(scope="module")
def recorder() -> Iterator[int]:
    with serving(Recorder) as port:
        yield port


@pytest.fixture(scope="module")
def sent_by_the_client(recorder, tmp_path_factory) -> list[str]:
    """The Authorization header the real MLflow client sends, per combination."""
    Recorder.seen = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    subprocess.run([sys.executable, "-c", CLIENT,
                    json.dumps([[*c, recorder] for c in COMBINATIONS])],
                   env={**env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}, check=True,
                   timeout=120, cwd=tmp_path_factory.mktemp("client"))
    sent = list(Recorder.seen)
    assert len(sent) == len(COMBINATIONS)
    assert len(set(sent)) == len(COMBINATIONS)  # each combination is told apart
    assert sent[2] == "Bearer t3"
    return sent


def test_the_probe_sends_the_authorization_the_mlflow_client_sends(recorder,
                                                                    sent_by_the_client):
    by_probe = []
    for combination in COMBINATIONS:
        Recorder.seen = []
        found = run_connectivity(deployment_of(recorder, *combination), TIMEOUT)
        assert found["api"].code == "ok"
        # /health, /version and the API call all carry the same header.
        assert len(set(Recorder.seen)) == 1, Recorder.seen
        by_probe.append(Recorder.seen[0])
    assert by_probe == sent_by_the_client


def test_the_rest_client_sends_the_authorization_the_mlflow_client_sends(recorder,
                                                                         sent_by_the_client):
    from mlflow_conformance.transport.rest import Rest

    Recorder.seen = []
    for combination in COMBINATIONS:
        Rest.for_deployment(deployment_of(recorder, *combination)).call(
            "POST", "/api/2.0/mlflow/experiments/search", {"max_results": 1})
    assert Recorder.seen == sent_by_the_client
