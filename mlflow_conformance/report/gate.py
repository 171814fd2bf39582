"""Exit codes for CI gates: the run's verdict as a number a pipeline can branch on.

pytest's own codes keep their meaning (2 interrupted, 3 internal error, 4 usage error);
the harness adds its own above them.
"""

from __future__ import annotations

from ..findings import Outcome
from .results import CONFORMANT, INCONCLUSIVE, RunResults

EXIT_CONFORMANT = 0
EXIT_MUST_FAILED = 1  # NOT CONFORMANT: a must requirement failed
EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE = 2, 3, 4  # pytest's
EXIT_SHOULD_FAILED = 6  # only should requirements failed, and --fail-on should / --strict
EXIT_REGRESSED = 7  # --fail-on regression: something that passed in the baseline fails now
EXIT_INCONCLUSIVE = 8  # the harness could not check a gating requirement, or verified nothing

EXIT_CODES = {
    EXIT_CONFORMANT: "conformant (or, with --fail-on regression, no regression)",
    EXIT_MUST_FAILED: "not conformant: a must requirement failed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
    EXIT_INTERNAL: "internal error of pytest or the harness",
    EXIT_USAGE: "usage error: bad option, unreachable cluster, unknown requirement",
    EXIT_SHOULD_FAILED: "not conformant: should requirements failed (--fail-on should / --strict)",
    EXIT_REGRESSED: "regression against the baseline (--fail-on regression)",
    EXIT_INCONCLUSIVE: "inconclusive: a gating requirement could not be checked, or none passed",
}


def exit_code(results: RunResults, fail_on: str = "must", regressions: int = 0) -> int:
    if fail_on == "regression":
        return EXIT_REGRESSED if regressions else EXIT_CONFORMANT
    state = results.verdict
    if state == CONFORMANT:
        return EXIT_CONFORMANT
    if state == INCONCLUSIVE:
        return EXIT_INCONCLUSIVE
    must_failed = any(r.outcome is Outcome.FAIL and r.severity == "must"
                      for r in results.requirements)
    return EXIT_MUST_FAILED if must_failed else EXIT_SHOULD_FAILED
