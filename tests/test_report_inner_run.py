"""A real conformance run (inner pytest session, no stack: the target needs none) writes
results.json valid against the schema, report.html and junit.xml, and ends by printing the
verdict, the counts and the report path.

Home of ``inner_run``, which the gate, baseline and browser self-tests reuse: tiny suites of
``check(Finding(...))`` against a deployment fixture that points at a closed port.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlflow_conformance.report import schema

# The harness's conftest plus a deployment at a closed port that declares one gap.
DEPLOYMENT_FIXTURE = '''
import pytest

from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.deployment import Deployment


@pytest.fixture(scope="session")
def deployment(pytestconfig):
    described = Deployment(kind="remote", tracking_uri="http://127.0.0.1:9",
                           known_gaps={"not_mlflow_version": "a gateway answers /version here"})
    run_context(pytestconfig).target_description.update(described.describe())
    return described
'''

# Every outcome once, on the real catalog's connectivity requirements.
MIXED_SUITE = '''
import pytest
from mlflow_conformance.findings import Finding, Outcome, passed


@pytest.mark.requirement("NET-001")
def test_host_resolves(check):
    check(passed("127.0.0.1 resolves", host="127.0.0.1", addresses=["127.0.0.1"]))


@pytest.mark.requirement("NET-002")
def test_port_accepts_connections(check):
    check(Finding(Outcome.FAIL, "connection_refused", "TCP connect to 127.0.0.1:9 failed",
                  {"host": "127.0.0.1", "port": 9, "error": "refused"},
                  "start the tracking server"))


@pytest.mark.requirement("NET-003")
def test_health_answers(check):
    check(Finding(Outcome.ERROR, "harness_error", "the probe crashed", {"exit": 1}, "rerun"))


@pytest.mark.requirement("NET-004")
def test_version_known_gap(check):
    check(Finding(Outcome.FAIL, "not_mlflow_version", "/version answered HTML", {},
                  "let /version through"))


@pytest.mark.requirement("NET-005")
def test_api_answers_json(check):
    check(Finding(Outcome.WARN, "http_error", "answered slowly", {"seconds": 2.5}, "look"))


@pytest.mark.requirement("NET-005")
def test_api_answers_json_again(check):
    check(passed("JSON", status=200))
'''


OUTCOME_SUITE = '''
import pytest
from mlflow_conformance.findings import Finding, Outcome, passed

OUTCOMES = {outcomes!r}


@pytest.mark.parametrize(("rid", "outcome"), [
    pytest.param(rid, outcome, marks=pytest.mark.requirement(rid), id=rid)
    for rid, outcome in sorted(OUTCOMES.items())])
def test_req(rid, outcome, check):
    check(passed("fine") if outcome == "pass" else
          Finding(Outcome(outcome), "timeout", "no answer", {{}}, "wait"))
'''


def outcome_suite(outcomes: dict[str, str]) -> str:
    """A suite with one check per requirement ID, ending in the given outcome."""
    return OUTCOME_SUITE.format(outcomes=outcomes)


def inner_run(pytester: pytest.Pytester, suite: str, *args: str, conftest_extra: str = ""
              ) -> tuple[pytest.RunResult, Path]:
    """Run ``suite`` as a conformance run in-process; returns the result and report dir."""
    pytester.makeconftest(DEPLOYMENT_FIXTURE + conftest_extra)
    pytester.makepyfile(test_inner=suite)
    report_dir = pytester.path / "report"
    # --opt=value: pytest decides its rootdir before it knows our options.
    result = pytester.runpytest("-p", "no:cacheprovider", "--tracking-uri=http://127.0.0.1:9",
                                f"--report-dir={report_dir}", *args)
    return result, report_dir


def test_a_run_writes_three_valid_outputs_and_says_where(pytester):
    result, report_dir = inner_run(pytester, MIXED_SUITE)
    assert result.ret == 1  # NET-002 (must) failed
    data = json.loads((report_dir / "results.json").read_text())
    assert schema.problems(data) == []
    outcomes = {r["id"]: r["outcome"] for r in data["requirements"]}
    assert {k: outcomes[k] for k in ("NET-001", "NET-002", "NET-003", "NET-004", "NET-005")} == {
        "NET-001": "pass", "NET-002": "fail", "NET-003": "error", "NET-004": "skip",
        "NET-005": "warn"}
    assert data["gate"] == {"fail_on": "must", "exit_code": 1,
                            "meaning": "not conformant: a must requirement failed"}
    assert all(set(t["phases"]) == {"setup", "call", "teardown"} for t in data["tests"])
    assert data["environment"]["harness_host"]["packages"]["pytest"] == pytest.__version__
    page = (report_dir / "report.html").read_text()
    assert ">NOT CONFORMANT<" in page
    assert "connection_refused" in page
    junit = ET.parse(report_dir / "junit.xml").getroot()  # noqa: S314 - our own file
    assert len(list(junit.iter("testcase"))) == 6
    result.stdout.fnmatch_lines([
        "*MLflow conformance*",
        "verdict: NOT CONFORMANT (1 pass, * skip, 1 warn, 1 fail, 1 error); exit code 1 "
        "(not conformant: a must requirement failed)",
        "  FAIL  NET-002 [connection_refused] Tracking port accepts TCP connections",
        "  ERROR NET-003 [harness_error] Health endpoint answers OK",
        f"report: {report_dir / 'report.html'} (results.json and junit.xml beside it)",
    ])


def test_a_known_gap_is_a_skip_that_keeps_its_diagnosis(pytester):
    _, report_dir = inner_run(pytester, MIXED_SUITE)
    data = json.loads((report_dir / "results.json").read_text())
    gap = next(t for t in data["tests"] if t["nodeid"].endswith("test_version_known_gap"))
    assert (gap["outcome"], gap["code"]) == ("skip", "not_mlflow_version")
    assert "known gap of the remote target" in gap["message"]
