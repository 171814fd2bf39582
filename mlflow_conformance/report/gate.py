"""Exit codes for CI gates: the run's verdict as a number a pipeline can branch on.

pytest's own codes keep their meaning (2 interrupted, 3 internal error, 4 usage error,
5 nothing collected); the harness adds its own above them. The table EXIT_CODES is the
documentation (the README's exit-code table is generated from it).
"""

from __future__ import annotations

from typing import Any

from ..findings import Outcome
from .results import CONFORMANT, INCONCLUSIVE, RunResults, verdict

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


def exit_code(results: RunResults, fail_on: str = "must") -> int:
    """The gate's code for a run that completed, judged at ``fail_on`` (regression: the new
    failures against ``results.baseline``)."""
    if fail_on == "regression":
        regressed = (results.baseline or {}).get("new_failures", [])
        return EXIT_REGRESSED if regressed else EXIT_CONFORMANT
    state = verdict(results.requirements, fail_on)
    if state == CONFORMANT:
        return EXIT_CONFORMANT
    if state == INCONCLUSIVE:
        return EXIT_INCONCLUSIVE
    must_failed = any(r.outcome is Outcome.FAIL and r.severity == "must"
                      for r in results.requirements)
    return EXIT_MUST_FAILED if must_failed else EXIT_SHOULD_FAILED


def decide(results: RunResults, fail_on: str, pytest_status: int) -> dict[str, Any]:
    """The gate record stored in results.json: the gate's code when pytest completed the
    run (all passed, or tests failed), otherwise pytest's own code (interrupted, crashed)."""
    completed = pytest_status in (0, 1)
    dry = (results.target or {}).get("dry_run")
    if dry is not None and completed:
        # --dry-run checks nothing on purpose: its verdict is its manifests'.
        from ..cluster.dry_run import problems

        refused = problems(dry)
        return {"fail_on": fail_on, "exit_code": EXIT_MUST_FAILED if refused else 0,
                "meaning": f"dry run: {len(refused)} manifest(s) refused" if refused
                else "dry run: every manifest valid; nothing created"}
    code = exit_code(results, fail_on) if completed else int(pytest_status)
    meaning = EXIT_CODES.get(code, "pytest exit status")
    if code == EXIT_CONFORMANT:
        meaning = ("no new failure against the baseline" if fail_on == "regression"
                   else "conformant")
    return {"fail_on": fail_on, "exit_code": code, "meaning": meaning}


def apply(results: RunResults, fail_on: str, pytest_status: int) -> int:
    """The one place --fail-on is interpreted for a run: the level the verdict is judged at
    (a regression gate judges the verdict as must) and the gate record; the exit code."""
    results.fail_on = "must" if fail_on == "regression" else fail_on
    results.gate = decide(results, fail_on, pytest_status)
    return int(results.gate["exit_code"])


def markdown_table() -> str:
    """The exit codes as a Markdown table, for the README."""
    rows = "".join(f"| {code} | {meaning} |\n" for code, meaning in sorted(EXIT_CODES.items()))
    return "| exit code | meaning |\n|---|---|\n" + rows
