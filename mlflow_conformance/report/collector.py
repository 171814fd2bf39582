"""From the phases of a run's tests to the run's results: the engine side of recording.

The pytest plugin hands over one :class:`PhaseReport` per phase of each conformance test (on
the controller, also for xdist workers' tests) and asks for :class:`RunResults` at the end;
everything the verdict depends on is decided here, where it can be tested without pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .. import catalog
from ..findings import Finding, Outcome
from . import baseline, gate
from .results import RunResults, TestResult, judge_requirements, now


@dataclass(frozen=True)
class PhaseReport:
    """One phase (setup, call, teardown) of one conformance test, as pytest reported it."""

    nodeid: str
    when: str
    requirements: list[str]
    status: str  # pytest's: passed, failed, skipped
    duration: float
    reason: str = ""  # the short failure or skip text
    finding: Finding | None = None  # what the check recorded (call phase)
    exception: str = ""  # the type name of what the phase raised, if anything
    worker: str = ""


def judge(phase: PhaseReport) -> Finding | None:
    """The phase's conclusion: the check's own finding when it recorded one, else what the
    phase's end says. None for a setup that passed: the call phase will say."""
    if phase.finding is not None:
        return phase.finding
    if phase.status == "skipped":
        return Finding(Outcome.SKIP, "skipped", phase.reason)
    if phase.when == "setup":
        if phase.status == "failed":
            return Finding(Outcome.ERROR, "harness_error", "setup failed: " + phase.reason)
        return None
    if phase.status == "failed" and phase.exception == "AssertionError":
        return Finding(Outcome.FAIL, "assertion_failed", phase.reason)
    if phase.status == "failed":
        return Finding(Outcome.ERROR, "harness_error", phase.reason)
    # Passed without a finding: an empty result is never a pass.
    return Finding(Outcome.ERROR, "no_verdict", "the check recorded no finding")


class ResultsCollector:
    """Gathers each test's result from its phases; builds the run's results once."""

    def __init__(self) -> None:
        self.started = now()
        self._tests: dict[str, TestResult] = {}
        self._phases: dict[str, dict[str, float]] = {}

    def add(self, phase: PhaseReport) -> None:
        self._phases.setdefault(phase.nodeid, {})[phase.when] = round(phase.duration, 4)
        existing = self._tests.get(phase.nodeid)
        if phase.when == "teardown":
            if existing is not None and phase.status == "failed":
                kept = existing.finding
                existing.finding = replace(kept, evidence={
                    **kept.evidence, "teardown_error": phase.reason})
            return
        finding = judge(phase)
        if finding is not None and (existing is None or phase.when == "call"):
            self._tests[phase.nodeid] = TestResult(phase.nodeid, phase.requirements, finding,
                                                   worker=phase.worker)

    def __bool__(self) -> bool:
        return bool(self._tests)

    def tests(self) -> list[TestResult]:
        tests = sorted(self._tests.values(), key=lambda t: t.nodeid)
        for test in tests:
            test.phases = self._phases.get(test.nodeid, {})
            test.duration = round(sum(test.phases.values()), 4)
        return tests

    def results(self, *, known: catalog.Catalog, harness_version: str, run_id: str,
                target: dict[str, Any], environment: dict[str, Any],
                profile: str = "full") -> RunResults:
        tests = self.tests()
        return RunResults(
            harness_version=harness_version, run_id=run_id, target=target,
            started=self.started, finished=now(), tests=tests,
            requirements=judge_requirements(known, tests), environment=environment,
            diagnoses=dict(known.diagnoses), profile=profile)


def conclude(results: RunResults, fail_on: str, pytest_status: int,
             baseline_data: Mapping[str, Any] | None = None, baseline_source: str = "") -> int:
    """Compare with the baseline (if any) and apply the gate; the run's exit code."""
    if baseline_data is not None:
        # compare() reads the requirements only: no need to serialise every test's evidence.
        current = {"requirements": [r.to_dict() for r in results.requirements]}
        results.baseline = baseline.compare(baseline_data, current, source=baseline_source)
    return gate.apply(results, fail_on, pytest_status)


def summary_lines(results: RunResults) -> list[str]:
    """The terminal summary: the verdict and exit code, what failed, the baseline changes."""
    summary = results.summary()["requirements"]
    counts = ", ".join(f"{n} {o}" for o, n in summary.items() if n)
    gate_record = results.gate or {}
    lines = [f"verdict: {results.verdict} ({counts}); exit code "
             f"{gate_record.get('exit_code')} ({gate_record.get('meaning', '')})"]
    decided = set((results.gating or {}).get("decided_by") or [])
    # A missed threshold that gated a release is listed though it only warned (TRK-007).
    lines += [f"  {req.outcome.value.upper():5} {req.id} [{','.join(req.codes)}] {req.title}"
              + (" (threshold, gates under --profile release)" if req.threshold else "")
              for req in results.requirements
              if req.outcome in (Outcome.FAIL, Outcome.ERROR) or req.id in decided]
    diff = results.baseline
    if diff:
        lines.append(f"baseline {diff['run_id']} ({diff['source']}): "
                     f"{baseline.summary_line(diff)}")
        lines += baseline.change_lines(diff)
    return lines
