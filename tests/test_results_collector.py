"""The engine's results collector without pytest: phases in, one TestResult per test, the
gate applied once."""

from __future__ import annotations

from mlflow_conformance import catalog
from mlflow_conformance.findings import Finding, Outcome
from mlflow_conformance.redact import MASK, Redactor
from mlflow_conformance.report import collector
from mlflow_conformance.report.collector import PhaseReport, ResultsCollector

KNOWN = catalog.load()


def phase(when: str, status: str = "passed", finding: Finding | None = None, reason: str = "",
          exception: str = "", nodeid: str = "suites/test_x.py::test_a") -> PhaseReport:
    return PhaseReport(nodeid, when, ["NET-001"], status, 0.5, reason, finding, exception)


def results_of(*phases: PhaseReport):
    gathered = ResultsCollector()
    for each in phases:
        gathered.add(each)
    return gathered.results(known=KNOWN, harness_version="0", run_id="mcx", target={},
                            environment={})


def only_test(*phases: PhaseReport):
    [test] = results_of(*phases).tests
    return test


def test_the_checks_finding_is_the_tests_result_with_its_phases_timed():
    found = Finding(Outcome.FAIL, "dns_unresolvable", "no such host", {"host": "h"}, "fix DNS")
    test = only_test(phase("setup"), phase("call", finding=found), phase("teardown"))
    assert test.finding == found
    assert (test.phases, test.duration) == ({"setup": 0.5, "call": 0.5, "teardown": 0.5}, 1.5)
    assert test.to_dict()["code"] == "dns_unresolvable"


def test_a_phase_without_a_finding_concludes_by_how_it_ended():
    assert only_test(phase("setup", "failed", reason="boom")).code == "harness_error"
    assert only_test(phase("setup", "skipped", reason="no jar")).outcome is Outcome.SKIP
    assert only_test(phase("setup"), phase("call", "failed", reason="x",
                                          exception="AssertionError")).code == "assertion_failed"
    assert only_test(phase("setup"), phase("call", "failed", reason="x",
                                          exception="KeyError")).code == "harness_error"
    # Passed without recording anything: an empty result is never a pass.
    assert only_test(phase("setup"), phase("call")).code == "no_verdict"


def test_a_failing_teardown_keeps_the_verdict_and_adds_evidence():
    found = Finding(Outcome.PASS, "ok", "resolved")
    test = only_test(phase("setup"), phase("call", finding=found),
                     phase("teardown", "failed", reason="cleanup failed"))
    assert (test.outcome, test.evidence["teardown_error"]) == (Outcome.PASS, "cleanup failed")


def test_nothing_collected_is_falsy():
    assert not ResultsCollector()


def test_fail_on_is_applied_once_for_verdict_and_gate():
    results = results_of(phase("call", finding=Finding(Outcome.PASS, "ok", "fine")))
    assert collector.conclude(results, "regression", 0, {"requirements": []}, "old.json") == 0
    assert results.fail_on == "must"  # a regression gate judges the verdict as must
    assert results.gate is not None
    assert results.gate["fail_on"] == "regression"
    assert results.baseline is not None
    assert results.baseline["source"] == "old.json"
    assert collector.summary_lines(results)[0].startswith("verdict: CONFORMANT")


def test_a_finding_is_redacted_in_message_evidence_and_remedy():
    redactor = Redactor(["s3cr3t-value"])
    found = Finding(Outcome.FAIL, "s3_access_denied", "key s3cr3t-value refused",
                    {"password": "hunter22", "uri": "http://u:pw12@h/"}, "rotate s3cr3t-value")
    clean = redactor.finding(found)
    assert clean.code == "s3_access_denied"
    assert "s3cr3t-value" not in clean.message + clean.remedy
    assert clean.evidence == {"password": MASK, "uri": f"http://u:{MASK}@h/"}
