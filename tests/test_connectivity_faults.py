"""Each connectivity check fails with its own diagnosis code when the stack is broken in
exactly that way. The probe runs as a subprocess, as it would in a driver pod."""

import time
from dataclasses import replace

import pytest

from mlflow_conformance.deployment import Deployment
from mlflow_conformance.fixtures.probes import run_connectivity
from tests.fault_servers import closed_port, http_server, silent_server

TIMEOUT = 1.0
LOGIN_PAGE = "<!DOCTYPE html><html><body><form action='/login'>Sign in</form></body></html>"


def target(uri: str) -> Deployment:
    return Deployment(kind="remote", tracking_uri=uri)


def codes(steps):
    return {name: (finding.outcome.value, finding.code) for name, finding in steps.items()}


@pytest.mark.fault("NET-001", "dns_unresolvable")
def test_unresolvable_host_is_dns_unresolvable():
    steps = run_connectivity(target("http://ilum-mlflow-tracking.invalid:5000"), TIMEOUT)
    assert codes(steps)["dns"] == ("fail", "dns_unresolvable")
    # Later steps are blocked by the same cause, not tried again.
    assert {f.code for f in steps.values()} == {"dns_unresolvable"}
    assert steps["api"].evidence["blocked_by"] == "dns"


@pytest.mark.fault("NET-002", "connection_refused")
def test_closed_port_is_connection_refused():
    steps = run_connectivity(target(f"http://127.0.0.1:{closed_port()}"), TIMEOUT)
    assert codes(steps)["dns"] == ("pass", "ok")
    assert codes(steps)["tcp"] == ("fail", "connection_refused")
    assert steps["tcp"].evidence["port"] > 0


@pytest.mark.fault("NET-003", "timeout")
@pytest.mark.fault("NET-005", "timeout")
def test_port_that_never_answers_times_out_within_the_bound():
    with silent_server() as port:
        began = time.monotonic()
        steps = run_connectivity(target(f"http://127.0.0.1:{port}"), TIMEOUT)
        elapsed = time.monotonic() - began
    assert codes(steps)["tcp"] == ("pass", "ok")
    assert codes(steps)["health"] == ("fail", "timeout")
    assert codes(steps)["api"] == ("fail", "timeout")
    # One timeout, then the rest is blocked: bounded by a few timeouts plus start-up.
    assert elapsed < TIMEOUT * 3 + 5


@pytest.mark.fault("NET-003", "http_error")
def test_health_that_is_not_ok_is_http_error():
    # A server that is up but unhealthy (its database is gone): /health answers 503.
    with http_server(503, "database unavailable", {"Content-Type": "text/plain"},
                     only_path="/health") as port:
        steps = run_connectivity(target(f"http://127.0.0.1:{port}"), TIMEOUT)
    assert codes(steps)["health"] == ("fail", "http_error")
    assert steps["health"].evidence["status"] == 503
    assert "503" in steps["health"].message
    assert steps["health"].remedy
    # An HTTP answer blocks nothing: the next step is still tried, and passes.
    assert codes(steps)["version"] == ("pass", "ok")


@pytest.mark.fault("NET-005", "not_json")
def test_html_login_page_is_not_json():
    with http_server(200, LOGIN_PAGE, {"Content-Type": "text/html"},
                     only_path="/api/2.0/mlflow/experiments/search") as port:
        steps = run_connectivity(target(f"http://127.0.0.1:{port}"), TIMEOUT)
    assert codes(steps)["health"] == ("pass", "ok")
    assert codes(steps)["api"] == ("fail", "not_json")
    assert "<!DOCTYPE html>" in steps["api"].evidence["body_start"]


@pytest.mark.fault("NET-005", "not_json")
def test_redirect_to_a_login_page_is_not_json():
    with http_server(302, "", {"Location": "https://sso.example/login"},
                     only_path="/api/2.0/mlflow/experiments/search") as port:
        steps = run_connectivity(target(f"http://127.0.0.1:{port}"), TIMEOUT)
    assert codes(steps)["api"] == ("fail", "not_json")
    assert steps["api"].evidence["headers"]["location"] == "https://sso.example/login"


@pytest.mark.fault("NET-005", "auth_required")
def test_401_is_auth_required():
    with http_server(401, '{"error_code": "UNAUTHENTICATED"}',
                     {"WWW-Authenticate": 'Basic realm="mlflow"',
                      "Content-Type": "application/json"}) as port:
        steps = run_connectivity(target(f"http://127.0.0.1:{port}"), TIMEOUT)
    assert codes(steps)["api"] == ("fail", "auth_required")
    assert steps["api"].evidence["headers"]["www-authenticate"] == 'Basic realm="mlflow"'


@pytest.mark.fault("NET-004", "not_mlflow_version")
def test_version_that_is_not_mlflow_is_reported():
    with http_server(200, "<html>gateway</html>", {"Content-Type": "text/html"},
                     only_path="/version") as port:
        steps = run_connectivity(target(f"http://127.0.0.1:{port}"), TIMEOUT)
    assert codes(steps)["version"] == ("fail", "not_mlflow_version")


def test_credentials_are_sent_but_never_echoed(deployment):
    secret = "s3cr3t-never-echoed"
    steps = run_connectivity(replace(deployment, tracking_username="u",
                                     tracking_password=secret), TIMEOUT)
    assert secret not in repr({k: v.to_dict() for k, v in steps.items()})


@pytest.mark.fault("NET-005", "host_rejected")
def test_real_mlflow_rejects_an_unknown_host_header(deployment):
    # The real server of the stack, reached with a Host header it does not allow.
    steps = run_connectivity(deployment, TIMEOUT, host_header="mlflow.example.test:5000")
    assert codes(steps)["api"] == ("fail", "host_rejected")
    # MLflow still answers /health for that Host (only the API is guarded).
    assert codes(steps)["health"] == ("pass", "ok")


@pytest.fixture(scope="module")
def real_stack_steps(deployment):
    return run_connectivity(deployment, 3.0)


@pytest.mark.parametrize("step", ["dns", "tcp", "health", "version", "api"])
def test_the_real_stack_passes_every_step(real_stack_steps, step):
    assert codes(real_stack_steps)[step] == ("pass", "ok")
