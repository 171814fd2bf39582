"""Requirements bound to their checks as data.

A catalog entry's `check` names what produces its finding, as `module:name` under this
package: either a judge function (`compat.versions:judge_client`) or one finding of a
producer that yields several at once (`probes.connectivity:health`, declared in the
producer module's FINDINGS). A suite hands the producer's :class:`Findings` to the `check`
fixture, which picks the requirement's own; no suite repeats the key, so none can pick the
wrong one. A finding whose code its requirement does not declare is a harness error.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from .catalog import Catalog, Requirement
from .findings import Finding, Findings, Outcome

CHECK_RE = re.compile(r"^[a-z_][a-z0-9_.]*:[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class CheckRef:
    module: str  # relative to mlflow_conformance
    name: str

    @classmethod
    def of(cls, requirement: Requirement) -> CheckRef:
        module, _, name = requirement.check.partition(":")
        return cls(module, name)

    def problem(self) -> str | None:
        """Why this reference does not resolve (None when it does); imports the module."""
        try:
            module = importlib.import_module(f"mlflow_conformance.{self.module}")
        except ImportError as exc:
            return f"module mlflow_conformance.{self.module} does not import: {exc}"
        if self.name in getattr(module, "FINDINGS", ()):
            return None
        if callable(getattr(module, self.name, None)):
            return None
        return (f"mlflow_conformance.{self.module} has no function {self.name!r} and does not "
                f"declare it in FINDINGS")


def select(result: Finding | Findings, requirement: Requirement) -> Finding:
    """The requirement's finding: the one given, or its own out of a producer's findings."""
    if isinstance(result, Finding):
        return result
    ref = CheckRef.of(requirement)
    if result.source != ref.module:
        return _harness_error(f"{requirement.id} is checked by {requirement.check}, but the "
                              f"test handed it the findings of {result.source}")
    if ref.name not in result:
        return _harness_error(f"{result.source} produced no finding {ref.name!r} for "
                              f"{requirement.id} (it produced: {', '.join(result)})")
    return result[ref.name]


def guard(finding: Finding, requirement: Requirement, known: Catalog) -> Finding:
    """A code the requirement does not declare is the harness's defect, not the target's."""
    if known.allows(requirement.id, finding.code):
        return finding
    return _harness_error(
        f"the check for {requirement.id} concluded {finding.code!r}, which the requirement "
        "does not declare among its diagnoses", undeclared=finding.to_dict())


def _harness_error(message: str, **evidence: object) -> Finding:
    return Finding(Outcome.ERROR, "harness_error", message, evidence,
                   "a defect of the harness: report it with results.json")


__all__ = ["CheckRef", "Findings", "guard", "select"]
