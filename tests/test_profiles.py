"""Profiles that mean something: a threshold requirement (catalog `threshold = true`: the
latency and throughput limits) is reported under every profile but gates only under
--profile release, whose --fail-on defaults to should (an explicit --fail-on wins) and whose
gate takes a given --baseline's new failures too. Smoke's selection by footprint is proven in
tests/test_tracking_canary.py (test_smoke_profile_skips_the_writing_suites_by_footprint).

End to end: the real tracking suite against the stack behind a proxy that makes one canary
call slower than TRK-007's limit; the same warning leaves a full run's exit code alone and
fails a release run."""

from __future__ import annotations

import json

import pytest

from mlflow_conformance import catalog
from mlflow_conformance.findings import Finding, Outcome
from mlflow_conformance.options import resolve
from mlflow_conformance.report import baseline, gate, schema
from mlflow_conformance.report.results import RunResults, TestResult, judge_requirements
from tests.inner_session import copy_suites
from tests.registry_helpers import mlflow_proxy, target_args, target_env
from tests.test_report_inner_run import inner_run, outcome_suite
from tests.test_tracking_faults import SLOW_SECONDS, experiment_lookup_slow

THRESHOLDS = {"TRK-007", "SPK-040"}


def results_of(outcomes: dict[str, Outcome], profile: str) -> RunResults:
    """Every requirement of the real catalog passing, except ``outcomes``, under ``profile``."""
    known = catalog.load()
    tests = [TestResult(f"suites/t.py::{rid}", [rid], Finding(
        outcomes.get(rid, Outcome.PASS), "ok" if rid not in outcomes else "timeout", "seen"))
        for rid in known.requirements]
    return RunResults(harness_version="0", run_id="r", target={"kind": "local"},
                      started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:00:01+00:00",
                      tests=tests, requirements=judge_requirements(known, tests),
                      environment={}, diagnoses=dict(known.diagnoses), profile=profile)


def test_the_thresholds_are_marked_in_the_catalog():
    known = catalog.load()
    assert {rid for rid, r in known.requirements.items() if r.threshold} == THRESHOLDS
    assert known["TRK-007"].golden_line().endswith(" threshold")
    assert not known["TRK-001"].golden_line().endswith(" threshold")


ENTRY = '''[[requirements]]
id = "XYZ-001"
area = "x"
title = "t"
statement = "s"
severity = "info"
promises = ["P1.1"]
footprint = "read-only"
remediation = "r"
check = "x:y"
diagnoses = ["ok"]
'''


@pytest.mark.parametrize(("extra", "error"), [
    ('threshold = "yes"\n', "threshold must be true or false"),
    ("treshold = true\n", r"unknown field\(s\) \['treshold'\]"),  # a typo must not pass
])
def test_the_loader_rejects_a_bad_threshold_field(extra, error):
    texts = {p.name: p.read_text() for p in catalog.CATALOG_DIR.glob("*.toml")}
    with pytest.raises(catalog.CatalogError, match=error):
        catalog.parse({**texts, "x.toml": ENTRY + extra})
    assert catalog.parse({**texts, "x.toml": ENTRY + "threshold = true\n"})["XYZ-001"].threshold


@pytest.mark.parametrize(("outcomes", "profile", "fail_on", "expected"), [
    # A missed throughput threshold (should): never gates outside release, not even strict.
    ({"SPK-040": Outcome.FAIL}, "full", "must", gate.EXIT_CONFORMANT),
    ({"SPK-040": Outcome.FAIL}, "full", "should", gate.EXIT_CONFORMANT),
    ({"SPK-040": Outcome.FAIL}, "release", "should", gate.EXIT_SHOULD_FAILED),
    ({"SPK-040": Outcome.FAIL}, "release", "must", gate.EXIT_CONFORMANT),  # explicit must
    # A missed latency threshold (info) warns; a release gates on it as a should requirement.
    ({"TRK-007": Outcome.WARN}, "full", "should", gate.EXIT_CONFORMANT),
    ({"TRK-007": Outcome.WARN}, "release", "should", gate.EXIT_SHOULD_FAILED),
    ({"TRK-007": Outcome.ERROR}, "full", "should", gate.EXIT_CONFORMANT),
    ({"TRK-007": Outcome.ERROR}, "release", "should", gate.EXIT_INCONCLUSIVE),
    # Other requirements gate alike under both; a must failure outranks a threshold's.
    ({"TRK-003": Outcome.FAIL}, "full", "should", gate.EXIT_SHOULD_FAILED),
    ({"TRK-003": Outcome.FAIL}, "release", "should", gate.EXIT_SHOULD_FAILED),
    ({"SPK-040": Outcome.FAIL, "NET-001": Outcome.FAIL}, "release", "should",
     gate.EXIT_MUST_FAILED),
    # Warnings of other requirements never gate.
    ({"REG-007": Outcome.WARN}, "release", "should", gate.EXIT_CONFORMANT),
])
def test_thresholds_gate_a_release_only(outcomes, profile, fail_on, expected):
    results = results_of(outcomes, profile)
    assert gate.apply(results, fail_on, 1) == expected
    assert results.gating is not None
    assert results.gating["profile"] == profile
    judged = set(results.gating["requirements"])
    assert (THRESHOLDS <= judged) == (profile == "release" and fail_on == "should")
    if expected == gate.EXIT_CONFORMANT:
        assert results.gating["decided_by"] == []
    else:
        assert set(results.gating["decided_by"]) <= set(outcomes)
    assert schema.problems(results.to_dict()) == []


def _with_baseline(after: dict[str, Outcome], profile: str) -> RunResults:
    before = results_of({}, "full").to_dict()
    results = results_of(after, profile)
    results.baseline = baseline.compare(before, results.to_dict(), source="old.json")
    return results


@pytest.mark.parametrize(("after", "profile", "fail_on", "expected"), [
    # A release given a baseline gates on a new failure, whatever its severity.
    ({"SPK-007": Outcome.FAIL}, "release", "should", gate.EXIT_REGRESSED),
    ({"SPK-007": Outcome.FAIL}, "full", "must", gate.EXIT_CONFORMANT),  # compared, not gated
    ({"SPK-007": Outcome.FAIL}, "full", "regression", gate.EXIT_REGRESSED),
    # A threshold's new failure gates only a release, also with --fail-on regression.
    ({"SPK-040": Outcome.FAIL}, "full", "regression", gate.EXIT_CONFORMANT),
    ({"SPK-040": Outcome.FAIL}, "release", "regression", gate.EXIT_REGRESSED),
    # The verdict's own code wins over the baseline's.
    ({"SPK-040": Outcome.FAIL}, "release", "should", gate.EXIT_SHOULD_FAILED),
])
def test_a_release_uses_the_baseline_it_is_given(after, profile, fail_on, expected):
    results = _with_baseline(after, profile)
    assert gate.apply(results, fail_on, 1) == expected
    assert results.gating is not None
    assert results.gating["baseline"] == (fail_on == "regression" or profile == "release")
    if expected == gate.EXIT_REGRESSED:
        assert results.gating["decided_by"] == list(after)


@pytest.mark.parametrize(("given", "env", "expected"), [
    ({"profile": "release"}, {}, "should"),
    ({}, {"MLFLOW_CONFORMANCE_PROFILE": "release"}, "should"),
    ({"profile": "release", "fail-on": "must"}, {}, "must"),  # an explicit --fail-on wins
    ({"profile": "release"}, {"MLFLOW_CONFORMANCE_FAIL_ON": "must"}, "must"),
    ({"profile": "full"}, {}, "must"),
    ({"profile": "smoke"}, {}, "must"),
])
def test_release_defaults_fail_on_to_should(given, env, expected):
    assert resolve(given, environ=env)["fail-on"] == expected


@pytest.mark.parametrize(("args", "expected"), [
    (("--profile=full",), gate.EXIT_CONFORMANT),
    (("--profile=full", "--fail-on=should"), gate.EXIT_CONFORMANT),
    (("--profile=release",), gate.EXIT_SHOULD_FAILED),  # --fail-on should by default
    (("--profile=release", "--fail-on=must"), gate.EXIT_CONFORMANT),  # explicit wins
])
def test_a_run_records_its_profile_and_what_gated(pytester, args, expected):
    outcomes = {"NET-001": "pass", "SPK-040": "fail", "TRK-007": "warn"}
    result, report_dir = inner_run(pytester, outcome_suite(outcomes), *args)
    assert result.ret == expected
    data = json.loads((report_dir / "results.json").read_text())
    assert schema.problems(data) == []
    profile = args[0].split("=")[1]
    assert (data["profile"], data["gating"]["profile"]) == (profile, profile)
    assert data["gate"]["exit_code"] == expected
    decided = {"SPK-040", "TRK-007"} if expected else set()
    assert set(data["gating"]["decided_by"]) == decided
    if expected:
        assert "thresholds missed under --profile release: SPK-040, TRK-007" in \
            data["gate"]["meaning"]
        result.stdout.fnmatch_lines(
            ["  WARN  TRK-007 [timeout] Tracking calls answer promptly (threshold, gates under "
             "--profile release)"])


@pytest.mark.fault("TRK-007", "slow_response")
def test_a_slow_tracking_server_fails_a_release_only(pytester, monkeypatch, deployment):
    """The real tracking suite through a proxy that holds one canary call past the limit."""
    copy_suites(pytester, ["test_tracking.py"])
    for key, value in target_env(deployment).items():
        monkeypatch.setenv(key, value)
    seen = {}
    with mlflow_proxy(deployment.tracking_uri, experiment_lookup_slow) as uri:
        for profile, args in (("full", ["--fail-on=should"]), ("release", [])):
            report_dir = pytester.path / profile
            result = pytester.runpytest_subprocess(
                *target_args(deployment, uri), f"--profile={profile}", *args,
                f"--slow-step-seconds={SLOW_SECONDS}",
                f"--report-dir={report_dir}", "-p", "no:cacheprovider")
            seen[profile] = (result.ret, json.loads((report_dir / "results.json").read_text()))
    for profile, (_, data) in seen.items():
        outcomes = {r["id"]: (r["outcome"], tuple(r["codes"])) for r in data["requirements"]
                    if r["id"].startswith("TRK-")}
        assert outcomes.pop("TRK-007") == ("warn", ("slow_response",)), (profile, outcomes)
        assert set(outcomes.values()) == {("pass", ())}, (profile, outcomes)
        assert schema.problems(data) == []
    full_code, full = seen["full"]
    assert full_code == gate.EXIT_CONFORMANT, full["gate"]
    assert full["gating"]["decided_by"] == []
    release_code, release = seen["release"]
    assert release_code == gate.EXIT_SHOULD_FAILED, release["gate"]
    assert (release["fail_on"], release["gating"]["decided_by"]) == ("should", ["TRK-007"])
