"""Every exit code of the gate, driven through real conformance runs (inner pytest sessions
against a target that needs no stack), plus the gate function on a should-only failure."""

from __future__ import annotations

import json

import pytest

from mlflow_conformance.findings import Outcome
from mlflow_conformance.report import gate
from tests.test_report_inner_run import inner_run, outcome_suite
from tests.test_results_model import synthetic_catalog, synthetic_results

# The real catalog's connectivity requirements are must ones: this conftest hook makes NET-001
# a should requirement in the results, before the gate decides (the hook runs before it).
# Profiles and threshold requirements: tests/test_profiles.py.
NET_001_IS_SHOULD = '''

def pytest_mlflow_conformance_results(config, results):
    for requirement in results.requirements:
        if requirement.id == "NET-001":
            requirement.severity = "should"
'''


def _run(pytester, outcomes, *args, conftest_extra=""):
    result, report_dir = inner_run(pytester, outcome_suite(outcomes), *args,
                                   conftest_extra=conftest_extra)
    recorded = json.loads((report_dir / "results.json").read_text())["gate"]
    assert recorded["exit_code"] == result.ret  # results.json says what the process said
    return result.ret


@pytest.mark.parametrize(("outcomes", "args", "expected"), [
    ({"NET-001": "pass", "NET-002": "pass"}, (), gate.EXIT_CONFORMANT),
    ({"NET-001": "pass", "NET-002": "fail"}, (), gate.EXIT_MUST_FAILED),
    ({"NET-001": "pass", "NET-002": "error"}, (), gate.EXIT_INCONCLUSIVE),
    ({"NET-001": "skip", "NET-002": "skip"}, (), gate.EXIT_INCONCLUSIVE),  # verified nothing
    ({"NET-001": "fail", "NET-002": "pass"}, ("--fail-on=should",), gate.EXIT_MUST_FAILED),
])
def test_exit_codes_of_the_verdict(pytester, outcomes, args, expected):
    assert _run(pytester, outcomes, *args) == expected


@pytest.mark.parametrize(("fail_on", "expected"), [
    ("should", gate.EXIT_SHOULD_FAILED),  # the strict mode
    ("must", gate.EXIT_CONFORMANT),  # a should failure does not gate by default
])
def test_a_should_only_failure(pytester, fail_on, expected):
    outcomes = {"NET-001": "fail", "NET-002": "pass"}
    assert _run(pytester, outcomes, f"--fail-on={fail_on}",
                conftest_extra=NET_001_IS_SHOULD) == expected


@pytest.mark.parametrize(("before", "after", "expected"), [
    ({"NET-001": "pass", "NET-002": "fail"}, {"NET-001": "fail", "NET-002": "fail"},
     gate.EXIT_REGRESSED),
    ({"NET-001": "skip", "NET-002": "pass"}, {"NET-001": "error", "NET-002": "pass"},
     gate.EXIT_REGRESSED),
    # Still failing is no regression: only new failures gate in this mode.
    ({"NET-001": "pass", "NET-002": "fail"}, {"NET-001": "pass", "NET-002": "fail"},
     gate.EXIT_CONFORMANT),
])
def test_fail_on_regression(pytester, before, after, expected):
    _, old_dir = inner_run(pytester, outcome_suite(before))
    old = pytester.path / "baseline.json"
    (old_dir / "results.json").rename(old)
    assert _run(pytester, after, "--fail-on=regression", f"--baseline={old}") == expected


def test_an_unreadable_baseline_is_a_usage_error(pytester):
    bad = pytester.path / "bad.json"
    bad.write_text("<html>not json</html>")
    result, report_dir = inner_run(pytester, outcome_suite({"NET-001": "pass"}),
                                   f"--baseline={bad}")
    assert result.ret == gate.EXIT_USAGE
    assert not report_dir.exists()  # refused before anything ran


def test_an_interrupted_run_keeps_pytests_code_and_still_reports(pytester):
    suite = outcome_suite({"NET-001": "pass"}) + '''

@pytest.mark.requirement("NET-002")
def test_stop(check):
    pytest.exit("operator pressed Ctrl-C")
'''
    result, report_dir = inner_run(pytester, suite)
    assert result.ret == gate.EXIT_INTERRUPTED
    assert json.loads((report_dir / "results.json").read_text())["gate"]["exit_code"] == 2


def test_gate_on_a_should_only_failure_without_a_session():
    results = synthetic_results(3)  # SYN-0000 must, SYN-0001 must, SYN-0002 should
    outcomes = {"SYN-0000": Outcome.PASS, "SYN-0001": Outcome.PASS, "SYN-0002": Outcome.FAIL}
    for req in results.requirements:
        req.outcome = outcomes[req.id]
    assert synthetic_catalog(3)["SYN-0002"].severity == "should"
    assert gate.exit_code(results, "must") == gate.EXIT_CONFORMANT
    results.fail_on = "should"
    assert gate.exit_code(results, "should") == gate.EXIT_SHOULD_FAILED


def test_every_code_is_documented():
    codes = {getattr(gate, name) for name in dir(gate) if name.startswith("EXIT_")
             and name != "EXIT_CODES"}
    assert codes == set(gate.EXIT_CODES)
    table = gate.markdown_table()
    assert all(f"| {code} | " in table for code in codes)


@pytest.mark.parametrize(("fail_on", "pytest_status", "expected"), [
    ("must", 0, (0, "conformant")),
    ("regression", 1, (0, "no new failure against the baseline")),
    ("must", 2, (2, gate.EXIT_CODES[2])),  # interrupted: pytest's code, not the verdict's
    ("must", 3, (3, gate.EXIT_CODES[3])),
])
def test_the_gate_record_names_the_code_and_its_meaning(fail_on, pytest_status, expected):
    results = synthetic_results(25)
    for req in results.requirements:
        req.outcome = Outcome.PASS
    results.baseline = {"new_failures": []}
    decided = gate.decide(results, fail_on, pytest_status)
    assert (decided["exit_code"], decided["meaning"]) == expected
    assert decided["fail_on"] == fail_on
