"""Exit codes for CI gates: the run's verdict as a number a pipeline can branch on.

pytest's own codes keep their meaning (2 interrupted, 3 internal error, 4 usage error,
5 nothing collected); the harness adds its own above them. The table EXIT_CODES is the
documentation (the README's exit-code table is generated from it).
"""

from __future__ import annotations

from typing import Any

from ..findings import Outcome
from .results import (
    CONFORMANT,
    INCONCLUSIVE,
    THRESHOLD_PROFILES,
    RequirementResult,
    RunResults,
    gates,
    gating_severity,
    missed,
    verdict,
)

EXIT_CONFORMANT = 0
EXIT_MUST_FAILED = 1  # NOT CONFORMANT: a must requirement failed
EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_NO_TESTS = 2, 3, 4, 5  # pytest's
EXIT_SHOULD_FAILED = 6  # only should requirements failed, and --fail-on should / --strict
EXIT_REGRESSED = 7  # --fail-on regression: something that passed in the baseline fails now
EXIT_INCONCLUSIVE = 8  # the harness could not check a gating requirement, or verified nothing

EXIT_CODES = {
    EXIT_CONFORMANT: "conformant; with --fail-on regression: no new failure against the "
                     "baseline",
    EXIT_MUST_FAILED: "not conformant: a must requirement failed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGTERM or SIGHUP); the reports hold what ran "
                      "until then and everything the run created is removed",
    EXIT_INTERNAL: "internal error of pytest or the harness",
    EXIT_USAGE: "usage error: bad option value, unwritable report folder, bad baseline file, "
                "unreachable cluster, unknown requirement",
    EXIT_NO_TESTS: "no conformance check was collected (e.g. -k deselected everything)",
    EXIT_SHOULD_FAILED: "not conformant: only should requirements failed (--fail-on should, "
                        "the strict mode)",
    EXIT_REGRESSED: "regression against the baseline: a requirement fails that did not "
                    "(--fail-on regression)",
    EXIT_INCONCLUSIVE: "inconclusive: a gating requirement could not be checked (error), or "
                       "no requirement passed",
}


def gating(results: RunResults, fail_on: str) -> list[RequirementResult]:
    """The requirements the gate judges at ``fail_on`` under the run's profile."""
    return [r for r in results.requirements if gates(r, fail_on, results.profile)]


def regressions(results: RunResults) -> list[str]:
    """The baseline's new failures that gate under the run's profile (a threshold's new
    failure gates a release only)."""
    judged = {r.id for r in gating(results, "regression")}
    return [rid for rid in (results.baseline or {}).get("new_failures", []) if rid in judged]


def regression_gated(results: RunResults, fail_on: str) -> bool:
    """Whether new failures against the baseline decide the exit code: with --fail-on
    regression, and in a release run given a baseline (it needs nothing else)."""
    return results.baseline is not None and (
        fail_on == "regression" or results.profile in THRESHOLD_PROFILES)


def exit_code(results: RunResults, fail_on: str = "must") -> int:
    """The gate's code for a run that completed, judged at ``fail_on`` under the run's
    profile (regression: the new failures against ``results.baseline``)."""
    if fail_on == "regression":
        return EXIT_REGRESSED if regressions(results) else EXIT_CONFORMANT
    state = verdict(results.requirements, fail_on, results.profile)
    if state == CONFORMANT:
        if regression_gated(results, fail_on) and regressions(results):
            return EXIT_REGRESSED
        return EXIT_CONFORMANT
    if state == INCONCLUSIVE:
        return EXIT_INCONCLUSIVE
    must_failed = any(missed(r) and gating_severity(r) == "must"
                      for r in gating(results, fail_on))
    return EXIT_MUST_FAILED if must_failed else EXIT_SHOULD_FAILED


def decided_by(results: RunResults, fail_on: str, code: int) -> list[str]:
    """The requirements that set a non-zero exit code of the verdict or the baseline."""
    if code == EXIT_REGRESSED:
        return regressions(results)
    judged = gating(results, fail_on)
    if code in (EXIT_MUST_FAILED, EXIT_SHOULD_FAILED):
        return [r.id for r in judged if missed(r)]
    if code == EXIT_INCONCLUSIVE:
        return [r.id for r in judged if r.outcome is Outcome.ERROR]
    return []


def decide(results: RunResults, fail_on: str, pytest_status: int) -> dict[str, Any]:
    """The gate record stored in results.json: the gate's code when pytest completed the
    run (all passed, or tests failed), otherwise pytest's own code (interrupted, crashed)."""
    completed = pytest_status in (0, 1)
    record: dict[str, Any] = {"fail_on": fail_on}
    dry = (results.target or {}).get("dry_run")
    if dry is not None and completed:
        # --dry-run checks nothing on purpose: its verdict is its manifests'.
        from ..cluster.dry_run import problems

        refused = problems(dry)
        return {**record, "exit_code": EXIT_MUST_FAILED if refused else 0,
                "meaning": f"dry run: {len(refused)} manifest(s) refused" if refused
                else "dry run: every manifest valid; nothing created"}
    code = exit_code(results, fail_on) if completed else int(pytest_status)
    meaning = EXIT_CODES.get(code, "pytest exit status")
    if code == EXIT_CONFORMANT:
        meaning = ("no new failure against the baseline" if fail_on == "regression"
                   else "conformant")
    if code == EXIT_REGRESSED and fail_on != "regression":
        meaning += f" (--profile {results.profile} given --baseline)"
    decided = decided_by(results, fail_on, code) if completed else []
    thresholds = [r.id for r in results.requirements if r.threshold and r.id in decided]
    if thresholds:
        meaning += f"; thresholds missed under --profile {results.profile}: " + \
            ", ".join(thresholds)
    return {**record, "exit_code": code, "meaning": meaning}


def judged(results: RunResults, fail_on: str, code: int) -> dict[str, Any]:
    """What the gate judged, for results.json: the profile, the requirements whose results
    it judged at ``fail_on`` (their misses set the code; with ``baseline`` also their new
    failures against the baseline) and those that decided a failing ``code``."""
    dry = (results.target or {}).get("dry_run") is not None
    return {"profile": results.profile,
            "requirements": [] if dry else sorted(r.id for r in gating(results, fail_on)),
            "baseline": not dry and regression_gated(results, fail_on),
            "decided_by": [] if dry else decided_by(results, fail_on, code)}


def apply(results: RunResults, fail_on: str, pytest_status: int) -> int:
    """The one place --fail-on is interpreted for a run: the level the verdict is judged at
    (a regression gate judges the verdict as must) and the gate record; the exit code."""
    results.fail_on = "must" if fail_on == "regression" else fail_on
    results.gate = decide(results, fail_on, pytest_status)
    code = int(results.gate["exit_code"])
    results.gating = judged(results, fail_on, code)
    return code


def markdown_table() -> str:
    """The exit codes as a Markdown table, for the README."""
    rows = "".join(f"| {code} | {meaning} |\n" for code, meaning in sorted(EXIT_CODES.items()))
    return "| exit code | meaning |\n|---|---|\n" + rows
