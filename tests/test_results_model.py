"""The results model's rules: never pass without a passing check; all-skipped and not-run
are skip; the verdict and its counts. Also home of ``synthetic_results``, the results of a
made-up run that the report self-tests render."""

from __future__ import annotations

import pytest

from mlflow_conformance.catalog import Catalog, Requirement
from mlflow_conformance.findings import Finding, Outcome
from mlflow_conformance.report.results import (
    CONFORMANT,
    INCONCLUSIVE,
    NOT_CONFORMANT,
    RunResults,
    TestResult,
    aggregate,
    judge_requirements,
    verdict,
)

P, S, W, F, E = Outcome.PASS, Outcome.SKIP, Outcome.WARN, Outcome.FAIL, Outcome.ERROR
# One failure, error, warning and skip in every 20 checks; the rest pass.
CYCLE = [F, E, W, S] + [P] * 16


def synthetic_catalog(count: int, severities: tuple[str, ...] = ("must", "must", "should")
                      ) -> Catalog:
    requirements = {f"SYN-{i:04d}": Requirement(
        id=f"SYN-{i:04d}", area=f"area{i % 10}", title=f"Synthetic requirement {i}",
        statement=f"Thing {i} MUST hold for drivers and executors alike.",
        severity=severities[i % len(severities)], promises=("P1.1", f"P{i % 10 + 1}.2"),
        footprint="read-only", remediation=f"Fix thing {i}.", diagnoses=("ok", "timeout"),
        check="mlflow_conformance.probes.connectivity:run_connectivity")
        for i in range(count)}
    return Catalog(requirements, {"ok": "The check passed.", "timeout": "No answer in time."})


def synthetic_results(count: int = 1000) -> RunResults:
    known = synthetic_catalog(count)
    tests = []
    for i, rid in enumerate(known.requirements):
        outcome = CYCLE[i % len(CYCLE)]
        tests.append(TestResult(
            nodeid=f"suites/test_area{i % 10}.py::test_thing[{i}]", requirements=[rid],
            finding=Finding(
                outcome=outcome, code="ok" if outcome is P else "timeout",
                message=f"thing {i} answered in {i / 100:.2f} s",
                evidence={"host": f"host-{i}.example", "attempts": [0.1, 0.2, i / 10],
                          "response": {"status": 200, "body": "x" * 200}},
                remedy="" if outcome is P else f"Raise the timeout of thing {i}."),
            duration=round(0.01 + (i % 37) / 10, 3), phases={"setup": 0.001, "call": 0.01}))
    return RunResults(
        harness_version="0.1.0", run_id="mc20260101000000abcdef",
        target={"kind": "remote", "tracking_uri": "http://mlflow.example:5000"},
        started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:10:00+00:00",
        tests=tests, requirements=judge_requirements(known, tests),
        environment={"harness_host": {"python": "3.11.7", "packages": {"mlflow": "3.17.2"}}},
        diagnoses=dict(known.diagnoses))


@pytest.mark.parametrize(("outcomes", "expected"), [
    ([], S),  # no check of it ran
    ([S, S], S),  # all skipped is skip, never pass
    ([P, S], P),
    ([P, W], W),
    ([P, E], E),
    ([P, E, F], F),  # a definite failure outranks "could not check"
    ([S, F], F),
])
def test_aggregate(outcomes, expected):
    assert aggregate(outcomes) is expected


def test_all_skipped_requirement_is_skip_and_untested_is_skip_with_no_tests():
    known = synthetic_catalog(3)
    ids = list(known.requirements)
    tests = [TestResult(f"t::{n}", [ids[0]], Finding(S, "skipped", "no backend"))
             for n in "ab"]
    tests.append(TestResult("t::c", [ids[1]], Finding(P, "ok", "fine")))
    judged = {r.id: r for r in judge_requirements(known, tests)}
    assert judged[ids[0]].outcome is S
    assert judged[ids[0]].tests == ["t::a", "t::b"]
    assert judged[ids[1]].outcome is P
    assert judged[ids[2]].outcome is S  # no test in this run
    assert judged[ids[2]].tests == []


@pytest.mark.parametrize(("outcomes", "fail_on", "expected"), [
    ({"must": P, "should": P}, "must", CONFORMANT),
    ({"must": P, "should": F}, "must", CONFORMANT),
    ({"must": P, "should": F}, "should", NOT_CONFORMANT),
    ({"must": F, "should": P}, "must", NOT_CONFORMANT),
    ({"must": E, "should": P}, "must", INCONCLUSIVE),
    ({"must": S, "should": S}, "must", INCONCLUSIVE),  # nothing verified is never conformant
])
def test_verdict(outcomes, fail_on, expected):
    known = synthetic_catalog(2, severities=("must", "should"))
    reqs = judge_requirements(known, [])
    for req in reqs:
        req.outcome = outcomes[req.severity]
    assert verdict(reqs, fail_on) == expected


def test_summary_counts_by_outcome_and_severity():
    summary = synthetic_results(40).summary()
    assert summary["tests"] == {"pass": 32, "skip": 2, "warn": 2, "fail": 2, "error": 2}
    assert sum(summary["requirements"].values()) == 40
    assert set(summary["by_severity"]) == {"must", "should"}


def test_round_trip_through_dict():
    results = synthetic_results(20)
    results.gate = {"fail_on": "must", "exit_code": 1, "meaning": "x"}
    again = RunResults.from_dict(results.to_dict())
    assert again.to_dict() == results.to_dict()
