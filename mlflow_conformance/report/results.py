"""One results model: per test, per requirement, per run. Every output renders from it.

Rules that make a conformance verdict trustworthy:
- a requirement passes only when a test of it passed and none failed or errored;
- all-skipped is ``skip``; a requirement no test of this run reached is ``skip`` too;
- a run in which no requirement passed is INCONCLUSIVE, never CONFORMANT;
- a threshold requirement (a limit that depends on the machine) gates only a release run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..catalog import Catalog, Requirement
from ..findings import Finding, Outcome, worst

SCHEMA_VERSION = "1.0"
CONFORMANT, NOT_CONFORMANT, INCONCLUSIVE = "CONFORMANT", "NOT CONFORMANT", "INCONCLUSIVE"
# The profiles whose gate judges threshold requirements (latency, throughput): elsewhere a
# shared CI machine's load would decide the exit code, so there they are reported only.
THRESHOLD_PROFILES = ("release",)


@dataclass
class TestResult:
    """One check's Finding, where and how long it ran: the one shape a result has from the
    check to results.json (whose tests carry the finding's fields flat)."""

    __test__ = False  # not a pytest test class, whatever its name says
    nodeid: str
    requirements: list[str]
    finding: Finding
    duration: float = 0.0  # seconds, setup + call + teardown
    worker: str = ""
    # Seconds per pytest phase: a session fixture's start-up lands in the first test's setup.
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def outcome(self) -> Outcome:
        return self.finding.outcome

    @property
    def code(self) -> str:
        return self.finding.code

    @property
    def message(self) -> str:
        return self.finding.message

    @property
    def evidence(self) -> Mapping[str, Any]:
        return self.finding.evidence

    @property
    def remedy(self) -> str:
        return self.finding.remedy

    def to_dict(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "requirements": list(self.requirements),
                **self.finding.to_dict(), "duration": self.duration, "worker": self.worker,
                "phases": dict(self.phases)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestResult:
        return cls(nodeid=data["nodeid"], requirements=list(data["requirements"]),
                   finding=Finding.from_dict(data), duration=data.get("duration", 0.0),
                   worker=data.get("worker", ""), phases=dict(data.get("phases") or {}))


@dataclass
class RequirementResult:
    id: str
    area: str
    title: str
    statement: str
    severity: str
    promises: list[str]
    footprint: str
    remediation: str
    outcome: Outcome
    tests: list[str]  # node ids
    codes: list[str]  # diagnosis codes seen (not "ok"), sorted
    threshold: bool = False  # the catalog's flag: gates only under THRESHOLD_PROFILES

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequirementResult:
        return cls(**{**data, "outcome": Outcome(data["outcome"])})


def now() -> str:
    """The local time as RFC 3339 with its offset (what the schema's timestamps are)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def aggregate(outcomes: Iterable[Outcome]) -> Outcome:
    seen = list(outcomes)
    if not seen:
        return Outcome.SKIP
    if all(o is Outcome.SKIP for o in seen):
        return Outcome.SKIP
    found = worst(o for o in seen if o is not Outcome.SKIP)
    assert found is not None  # non-empty: at least one outcome is not a skip
    return found


def judge_requirements(catalog: Catalog, tests: Iterable[TestResult]) -> list[RequirementResult]:
    by_requirement: dict[str, list[TestResult]] = {rid: [] for rid in catalog.requirements}
    for test in tests:
        for rid in test.requirements:
            by_requirement.setdefault(rid, []).append(test)
    results = []
    for rid in sorted(by_requirement):
        req: Requirement = catalog[rid]
        mine = by_requirement[rid]
        results.append(RequirementResult(
            id=rid, area=req.area, title=req.title, statement=req.statement,
            severity=req.severity, promises=list(req.promises), footprint=req.footprint,
            remediation=req.remediation, outcome=aggregate(t.outcome for t in mine),
            tests=[t.nodeid for t in mine],
            codes=sorted({t.code for t in mine if t.code != "ok"}), threshold=req.threshold))
    return results


def gating_severity(requirement: RequirementResult) -> str:
    """The severity a requirement gates at: a threshold gates at least as a should one (the
    latency check is info, its miss a warning, yet a release stops on it)."""
    return "should" if requirement.threshold and requirement.severity == "info" \
        else requirement.severity


def gates(requirement: RequirementResult, fail_on: str, profile: str) -> bool:
    """Whether this requirement's result is judged by the gate at ``fail_on`` under
    ``profile``: by severity (must; must and should; every one for regression), except that
    a threshold requirement gates only under THRESHOLD_PROFILES."""
    if requirement.threshold and profile not in THRESHOLD_PROFILES:
        return False
    if fail_on == "regression":
        return True
    levels = ("must", "should") if fail_on == "should" else ("must",)
    return gating_severity(requirement) in levels


def missed(requirement: RequirementResult) -> bool:
    """A failure; for a threshold also a warning (its check warns when the measure is past
    the limit but everything worked, e.g. TRK-007's slow_response)."""
    return requirement.outcome is Outcome.FAIL or (
        requirement.threshold and requirement.outcome is Outcome.WARN)


def verdict(requirements: Iterable[RequirementResult], fail_on: str = "must",
            profile: str = "full") -> str:
    """NOT CONFORMANT on a gating failure; INCONCLUSIVE when a gating check could not run
    (error) or nothing was verified at all; otherwise CONFORMANT."""
    reqs = list(requirements)
    gating = [r for r in reqs if gates(r, fail_on, profile)]
    if any(missed(r) for r in gating):
        return NOT_CONFORMANT
    if any(r.outcome is Outcome.ERROR for r in gating):
        return INCONCLUSIVE
    if not any(r.outcome in (Outcome.PASS, Outcome.WARN) for r in reqs):
        return INCONCLUSIVE
    return CONFORMANT


@dataclass
class RunResults:
    harness_version: str
    run_id: str
    target: dict[str, Any]
    started: str
    finished: str
    tests: list[TestResult]
    requirements: list[RequirementResult]
    environment: dict[str, Any]
    diagnoses: dict[str, str]
    fail_on: str = "must"
    profile: str = "full"  # --profile: which checks ran and whether thresholds gate
    schema_version: str = SCHEMA_VERSION
    baseline: dict[str, Any] | None = None  # report.baseline.compare(): change per requirement
    gate: dict[str, Any] | None = None  # {"fail_on", "exit_code", "meaning"} once decided
    # report.gate.judged(): {"profile", "requirements", "baseline", "decided_by"} with the gate
    gating: dict[str, Any] | None = None
    bundle: str | None = None  # the diagnostics bundle beside results.json (--collect)

    @property
    def verdict(self) -> str:
        return verdict(self.requirements, self.fail_on, self.profile)

    def summary(self) -> dict[str, Any]:
        tests = Counter(t.outcome.value for t in self.tests)
        reqs = Counter(r.outcome.value for r in self.requirements)
        by_severity: dict[str, Counter[str]] = {}
        for r in self.requirements:
            by_severity.setdefault(r.severity, Counter())[r.outcome.value] += 1
        order = [o.value for o in Outcome]
        return {
            "tests": {o: tests.get(o, 0) for o in order},
            "requirements": {o: reqs.get(o, 0) for o in order},
            "by_severity": {s: {o: c.get(o, 0) for o in order}
                            for s, c in sorted(by_severity.items())},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "harness_version": self.harness_version,
            "run_id": self.run_id,
            "started": self.started,
            "finished": self.finished,
            "verdict": self.verdict,
            "fail_on": self.fail_on,
            "profile": self.profile,
            "summary": self.summary(),
            "target": self.target,
            "environment": self.environment,
            "requirements": [r.to_dict() for r in self.requirements],
            "tests": [t.to_dict() for t in self.tests],
            "diagnoses": self.diagnoses,
            "baseline": self.baseline,
            "gate": self.gate,
            "gating": self.gating,
            "bundle": self.bundle,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunResults:
        return cls(
            harness_version=data["harness_version"], run_id=data["run_id"],
            target=data["target"], started=data["started"], finished=data["finished"],
            tests=[TestResult.from_dict(t) for t in data["tests"]],
            requirements=[RequirementResult.from_dict(r) for r in data["requirements"]],
            environment=data["environment"], diagnoses=data["diagnoses"],
            fail_on=data.get("fail_on", "must"), profile=data.get("profile", "full"),
            schema_version=data["schema_version"],
            baseline=data.get("baseline"), gate=data.get("gate"), gating=data.get("gating"),
            bundle=data.get("bundle"))
