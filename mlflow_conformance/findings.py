"""What a check concludes: an outcome, a diagnosis code, evidence and a remedy.

A probe (stdlib-only, possibly running inside a pod) emits plain dicts of this shape; the
engine turns them into :class:`Finding` objects. Outcomes are ordered by severity so that an
aggregate is simply the worst of its parts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    # Aggregation takes the highest rank. A definite failure outranks "could not check".
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    SKIP = "skip"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Outcome.PASS: 0, Outcome.SKIP: 1, Outcome.WARN: 2, Outcome.ERROR: 3, Outcome.FAIL: 4}


@dataclass(frozen=True)
class Finding:
    """The verdict of one check, with what was observed and what to do about it."""

    outcome: Outcome
    code: str  # machine-readable diagnosis code, from the catalog's vocabulary ("ok" on pass)
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remedy: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            outcome=Outcome(data["outcome"]),
            code=str(data["code"]),
            message=str(data.get("message", "")),
            evidence=dict(data.get("evidence") or {}),
            remedy=str(data.get("remedy", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "code": self.code,
            "message": self.message,
            "evidence": dict(self.evidence),
            "remedy": self.remedy,
        }

    def as_skip(self, reason: str) -> Finding:
        """The same diagnosis, reported as skipped (a gap the target declared)."""
        return Finding(Outcome.SKIP, self.code, f"{reason} (diagnosis: {self.message})",
                       self.evidence, self.remedy)


class Findings(Mapping[str, Finding]):
    """The findings of a producer that concludes several requirements at once, by the keys
    its module declares in FINDINGS; `source` is that module (as catalog `check`s name it)."""

    def __init__(self, source: str, findings: Mapping[str, Finding]) -> None:
        self.source = source
        self._findings = dict(findings)

    def __getitem__(self, key: str) -> Finding:
        return self._findings[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._findings)

    def __len__(self) -> int:
        return len(self._findings)

    def __repr__(self) -> str:
        return f"Findings({self.source!r}, {self._findings!r})"


def passed(message: str, **evidence: Any) -> Finding:
    return Finding(Outcome.PASS, "ok", message, evidence)


def worst(outcomes: Iterable[Outcome]) -> Outcome | None:
    """The most severe outcome, or None when there is nothing to judge."""
    ranked = sorted(outcomes, key=lambda o: o.rank)
    return ranked[-1] if ranked else None
