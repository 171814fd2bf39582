"""Run a check as named, timed steps; judge requirements from the steps they depend on.

A step that raises is diagnosed (diagnosis.classify) and blocks the steps that need it; those
are recorded as not reached with the same diagnosis, so every requirement still gets a
finding that names the step that broke. Timings of every step are kept as evidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..findings import Finding, Outcome
from .diagnosis import Diagnosis, classify


class StepFailed(Exception):
    """A step observed something wrong (as opposed to a call that raised)."""

    def __init__(self, code: str, message: str, remedy: str = "", outcome: str = "fail",
                 **evidence: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.remedy = code, message, remedy
        self.outcome, self.evidence = outcome, evidence


@dataclass
class StepRecord:
    step: str
    outcome: Outcome
    code: str
    message: str
    seconds: float | None = None  # None: not reached
    remedy: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


class Steps:
    def __init__(self) -> None:
        self.records: dict[str, StepRecord] = {}

    def run(self, name: str, action: Callable[[], dict[str, Any] | None],
            needs: Iterable[str] = ()) -> bool:
        """Run ``action`` unless a step it needs did not pass; True when it passed."""
        for need in needs:
            cause = self.records.get(need)
            if cause is None or cause.outcome not in (Outcome.PASS, Outcome.WARN):
                self.records[name] = self._blocked(name, need, cause)
                return False
        began = time.monotonic()
        try:
            evidence = action() or {}
        except StepFailed as failed:
            record = StepRecord(name, Outcome(failed.outcome), failed.code, failed.message,
                                remedy=failed.remedy, evidence=failed.evidence)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a diagnosis
            found: Diagnosis = classify(exc)
            record = StepRecord(name, Outcome(found.outcome), found.code,
                                f"{name}: {found.message}", remedy=found.remedy,
                                evidence=found.evidence)
        else:
            record = StepRecord(name, Outcome.PASS, "ok", f"{name} passed", evidence=evidence)
        record.seconds = round(time.monotonic() - began, 4)
        self.records[name] = record
        return record.outcome in (Outcome.PASS, Outcome.WARN)

    def _blocked(self, name: str, need: str, cause: StepRecord | None) -> StepRecord:
        if cause is None:
            return StepRecord(name, Outcome.ERROR, "harness_error",
                              f"{name}: step {need!r} never ran (harness defect)")
        return StepRecord(name, cause.outcome, cause.code,
                          f"{name}: not reached, the {cause.step} step failed "
                          f"({cause.message})", remedy=cause.remedy,
                          evidence={"blocked_by": cause.step})

    def timings(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        chosen = self.records if names is None else [n for n in names if n in self.records]
        return [{"step": n, "seconds": self.records[n].seconds} for n in chosen
                if self.records[n].seconds is not None]

    def judge(self, names: Iterable[str], passed: str, **evidence: Any) -> Finding:
        """The finding of a requirement checked by these steps: the worst step decides."""
        records = [self.records[n] for n in names if n in self.records]
        steps = {r.step: {"outcome": r.outcome.value, "code": r.code, "seconds": r.seconds,
                          **r.evidence} for r in records}
        full = {"steps": steps, "timings": self.timings(r.step for r in records), **evidence}
        if not records:
            return Finding(Outcome.ERROR, "harness_error", "no step of this check ran", full)
        worst = max(records, key=lambda r: r.outcome.rank)
        if worst.outcome is Outcome.PASS:
            return Finding(Outcome.PASS, "ok", passed, full)
        return Finding(worst.outcome, worst.code, worst.message, full, worst.remedy)


def judge_all(steps: Steps, requirements: Mapping[str, tuple[list[str], str]]
              ) -> dict[str, Finding]:
    """Findings by requirement key from {key: (step names, pass message)}."""
    return {key: steps.judge(names, message) for key, (names, message) in requirements.items()}
