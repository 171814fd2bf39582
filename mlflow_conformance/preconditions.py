"""Checks that need the tracking server are not attempted when it cannot be reached.

The connectivity probe answers in seconds (one bounded step each); everything after it talks
to the server through clients that would each wait out their own timeouts and end as setup
errors blaming the harness. When DNS, TCP or /health failed, a check that needs the server
ends at once instead: `blocked`, naming the requirement that failed and its code.
"""

from __future__ import annotations

from .catalog import Catalog
from .findings import Finding, Findings, Outcome

# The connectivity steps a conversation with the server needs; /version and the API answer
# are checks of their own (a gateway page there is a finding, not a reason to stop).
TRACKING_SERVER_STEPS = ("dns", "tcp", "health")


class Blocked(Exception):
    """Raised by a fixture whose precondition failed; the test records ``finding``."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def blocking(connectivity: Findings, known: Catalog) -> Finding | None:
    """The `blocked` finding for checks that need the tracking server, or None when the
    connectivity steps they need passed."""
    for step in TRACKING_SERVER_STEPS:
        found = connectivity[step]
        if found.outcome in (Outcome.PASS, Outcome.WARN):
            continue
        [requirement] = [r.id for r in known.requirements.values()
                         if r.check == f"{connectivity.source}:{step}"]
        return Finding(
            Outcome.ERROR, "blocked",
            f"not attempted: the tracking server is not usable, {requirement} failed "
            f"({found.code}: {found.message})",
            {"blocked_by": requirement, "blocked_by_code": found.code},
            f"fix {requirement} first: {found.remedy}")
    return None
