"""Connectivity: a Spark driver reaches the tracking server (P1.1, P2.1, P5.1, P10.1).

Observed step by step with plain sockets and short timeouts, never through the MLflow
client's retry loop; a failed step names itself and blocks the steps after it.
"""

import pytest


@pytest.mark.requirement("NET-001")
def test_tracking_host_resolves(connectivity, check):
    check(connectivity)


@pytest.mark.requirement("NET-002")
def test_tracking_port_accepts_connections(connectivity, check):
    check(connectivity)


@pytest.mark.requirement("NET-003")
def test_health_endpoint_answers_ok(connectivity, check):
    check(connectivity)


@pytest.mark.requirement("NET-004")
def test_server_reports_its_version(connectivity, check):
    check(connectivity)


@pytest.mark.requirement("NET-005")
def test_rest_api_answers_json(connectivity, check):
    check(connectivity)
