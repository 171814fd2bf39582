"""Each tracking requirement fails with its own diagnosis when the path to the real server
breaks in exactly that way: a proxy in front of the stack's MLflow server loses, hides or
rewrites one kind of call, and the canary (mlflow_conformance.tracking.canary) runs through it.
The requirements that do not depend on the broken call still pass."""

import json
import secrets
import time

import pytest

from mlflow_conformance.cleanup import removal
from mlflow_conformance.cleanup.ledger import Ledger
from mlflow_conformance.findings import Outcome
from mlflow_conformance.tracking import canary
from tests.registry_helpers import FLASK_404, MLFLOW_CLIENT_AGENT, behind, mlflow_proxy

API = "/api/2.0/mlflow"
KEYS = {"TRK-001": "experiment", "TRK-002": "logging", "TRK-003": "dataset",
        "TRK-004": "rest", "TRK-005": "search", "TRK-006": "lifecycle", "TRK-007": "latency"}
NOT_FOUND = (404, "application/json",
             '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Could not find experiment"}')


def _client(headers):
    return headers.get("User-Agent", "").startswith(MLFLOW_CLIENT_AGENT)


def answer_ok_without_forwarding(route):
    """The call is acknowledged and never reaches the server (a proxy that swallows it)."""
    return lambda method, path, _h: (200, "application/json", "{}") if (
        method == "POST" and path == API + route) else None


def experiment_lookup_not_found(method, path, _headers):
    return NOT_FOUND if path == API + "/experiments/get-by-name" else None


def inputs_route_missing(method, path, _headers):
    return (404, "text/html; charset=utf-8", FLASK_404) if path == API + "/runs/log-inputs" \
        else None


def searches_find_nothing(method, path, _headers):
    return (200, "application/json", '{"runs": []}') if path == API + "/runs/search" else None


def forward(*_):
    return None


# The slow-step bound these tests give (--slow-step-seconds): shorter than the default, so a
# slow call costs the test less, and still well above a loaded machine's normal step.
SLOW_SECONDS = 2.0


def experiment_lookup_slow(method, path, _headers):
    """One call answers just after the slow-step bound (then is forwarded)."""
    if path == API + "/experiments/get-by-name":
        time.sleep(SLOW_SECONDS + 0.3)
    return None


def rest_reads_another_value(method, path, headers, body):
    """Plain REST readers (not the MLflow client) get a run whose first param was altered."""
    if path != API + "/runs/get" or _client(headers):
        return body
    data = json.loads(body)
    params = data["run"]["data"].get("params", [])
    if params:
        params[0]["value"] += "-rewritten"
    return json.dumps(data).encode()


# requirement, the rule and rewrite that break it, the expected outcome and code, what still
# passes
CASES = [
    ("TRK-001", experiment_lookup_not_found, None, "roundtrip_mismatch",
     ["TRK-003", "TRK-006"]),
    ("TRK-002", answer_ok_without_forwarding("/runs/log-batch"), None, "roundtrip_mismatch",
     ["TRK-001", "TRK-003", "TRK-006"]),
    ("TRK-003", inputs_route_missing, None, "endpoint_missing",
     ["TRK-001", "TRK-002", "TRK-004", "TRK-005", "TRK-006"]),
    ("TRK-004", forward, rest_reads_another_value, "roundtrip_mismatch",
     ["TRK-001", "TRK-002", "TRK-003", "TRK-005", "TRK-006"]),
    ("TRK-005", searches_find_nothing, None, "roundtrip_mismatch",
     ["TRK-001", "TRK-002", "TRK-003", "TRK-004"]),
    ("TRK-006", answer_ok_without_forwarding("/runs/delete"), None, "roundtrip_mismatch",
     ["TRK-001", "TRK-002", "TRK-003", "TRK-004", "TRK-005"]),
    ("TRK-007", experiment_lookup_slow, None, "slow_response",
     ["TRK-001", "TRK-002", "TRK-003", "TRK-004", "TRK-005", "TRK-006"]),
]


def canary_behind(deployment, tmp_path, rule, rewrite):
    book = Ledger(tmp_path / "ledger.jsonl", "mcselftest" + secrets.token_hex(3))
    with mlflow_proxy(deployment.tracking_uri, rule, rewrite) as uri:
        try:
            return canary.run_canary(behind(deployment, uri), book, SLOW_SECONDS)
        finally:
            outcome = removal.remove_entries(book.entries(), deployment)
            assert outcome.failed == []


@pytest.mark.parametrize(("rid", "rule", "rewrite", "code", "unaffected"), [
    pytest.param(*case, id=case[0], marks=pytest.mark.fault(case[0], case[3]))
    for case in CASES])
def test_a_broken_tracking_call_is_diagnosed(deployment, tmp_path, rid, rule, rewrite, code,
                                            unaffected):
    found = canary_behind(deployment, tmp_path, rule, rewrite)
    broken = found[KEYS[rid]]
    # A slow server still works: a warning. Everything else is a failure.
    expected = Outcome.WARN if code == "slow_response" else Outcome.FAIL
    assert (broken.outcome, broken.code) == (expected, code), broken
    assert broken.remedy
    for other in unaffected:
        assert found[KEYS[other]].outcome is Outcome.PASS, (other, found[KEYS[other]])
