"""The requirement catalog, loaded from catalog/*.toml (one file per area) and checked.

Requirements are data (the Kubernetes conformance catalog's lesson): IDs are stable, every
test in suites/ names the IDs it checks, and a golden list guards the catalog against
silent change.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_DIR = Path(__file__).with_name("catalog")
SEVERITIES = ("must", "should", "info")
FOOTPRINTS = ("read-only", "writes-mlflow", "writes-s3", "creates-k8s")
# Codes every check may produce, whatever its requirement says.
GENERIC_CODES = ("ok", "no_verdict", "harness_error", "skipped", "assertion_failed", "blocked")
# The code set every check may also produce: how a network step fails, whatever it was for.
TRANSPORT_SET = "transport"
# `module:name` under mlflow_conformance: a judge function, or a key of the FINDINGS a
# producer module declares (mlflow_conformance.binding resolves it).
CHECK_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*:[a-z_][a-z0-9_]*$")
REQUIRED_FIELDS = ("id", "area", "title", "statement", "severity", "promises", "footprint",
                   "remediation", "check", "diagnoses")
# A misspelt optional field would be silently ignored (a `treshold` that never gates): every
# field an entry may carry is named here, anything else is rejected.
OPTIONAL_FIELDS = ("threshold",)


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    id: str
    area: str
    title: str
    statement: str
    severity: str
    promises: tuple[str, ...]
    footprint: str
    remediation: str
    diagnoses: tuple[str, ...]
    check: str  # what produces the finding (see CHECK_RE)
    # The check measures against a machine-dependent limit (latency, throughput): a miss gates
    # only under --profile release (report.results.gates).
    threshold: bool = False

    def golden_line(self) -> str:
        # The threshold flag decides where the requirement gates: guarded like the severity.
        return (f"{self.id} {self.severity} {self.footprint} {self.area} "
                f"{','.join(self.promises)} {','.join(self.diagnoses)}"
                + (" threshold" if self.threshold else ""))


@dataclass(frozen=True)
class Catalog:
    requirements: Mapping[str, Requirement]
    diagnoses: Mapping[str, str]
    transport: frozenset[str] = frozenset()

    def __getitem__(self, requirement_id: str) -> Requirement:
        return self.requirements[requirement_id]

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.requirements

    def golden(self, ids: Iterable[str] | None = None) -> str:
        chosen = sorted(self.requirements if ids is None else ids)
        return "".join(self.requirements[rid].golden_line() + "\n" for rid in chosen)

    def allows(self, requirement_id: str, code: str) -> bool:
        """Whether a finding of this code may conclude the requirement's check."""
        return (code in self.requirements[requirement_id].diagnoses or code in GENERIC_CODES
                or code in self.transport)

    def untested(self, tested: Iterable[str]) -> list[str]:
        """Requirements no test names (a requirement without a test is a defect)."""
        return sorted(set(self.requirements) - set(tested))


def ids_by_file(directory: Path = CATALOG_DIR) -> dict[str, list[str]]:
    """Requirement IDs per catalog file, for the per-area golden lists."""
    return {path.stem: [str(e["id"]) for e in tomllib.loads(path.read_text()).get(
        "requirements", [])] for path in sorted(directory.glob("*.toml"))}


def parse(texts: Mapping[str, str]) -> Catalog:
    """Merge the area files (name → TOML text) into one catalog, checking it as a whole."""
    diagnoses: dict[str, str] = {}
    code_sets: dict[str, list[str]] = {}
    entries: list[dict[str, object]] = []
    for name, text in sorted(texts.items()):
        data = tomllib.loads(text)
        for code, meaning in data.get("diagnoses", {}).items():
            if diagnoses.get(code, meaning) != meaning:
                raise CatalogError(f"{name}: diagnosis {code!r} is defined twice, differently")
            diagnoses[code] = meaning
        for set_name, codes in data.get("code_sets", {}).items():
            if set_name in code_sets:
                raise CatalogError(f"{name}: code set {set_name!r} is defined twice")
            code_sets[set_name] = list(codes)
        entries += data.get("requirements", [])
    missing_generic = [c for c in GENERIC_CODES if c not in diagnoses]
    if missing_generic:
        raise CatalogError(f"generic diagnosis codes missing: {missing_generic}")
    requirements: dict[str, Requirement] = {}
    for entry in entries:
        unknown_fields = sorted(set(entry) - {*REQUIRED_FIELDS, *OPTIONAL_FIELDS})
        if unknown_fields:
            raise CatalogError(f"requirement {entry.get('id', '?')}: unknown field(s) "
                               f"{unknown_fields} (fields: {', '.join(REQUIRED_FIELDS)}; "
                               f"optional: {', '.join(OPTIONAL_FIELDS)})")
        if not isinstance(entry.get("threshold", False), bool):
            raise CatalogError(f"requirement {entry.get('id', '?')}: threshold must be true or "
                               "false")
        try:
            req = Requirement(
                id=str(entry["id"]), area=str(entry["area"]), title=str(entry["title"]),
                statement=str(entry["statement"]), severity=str(entry["severity"]),
                promises=tuple(entry["promises"]), footprint=str(entry["footprint"]),  # type: ignore[arg-type]
                remediation=str(entry["remediation"]),
                diagnoses=expand(entry["diagnoses"], code_sets),  # type: ignore[arg-type]
                check=str(entry["check"]), threshold=bool(entry.get("threshold", False)))
        except KeyError as exc:
            raise CatalogError(f"requirement {entry.get('id', '?')} lacks {exc}") from None
        if not CHECK_RE.match(req.check):
            raise CatalogError(f"{req.id}: check {req.check!r} is not module:name")
        if req.id in requirements:
            raise CatalogError(f"duplicate requirement id {req.id}")
        if req.severity not in SEVERITIES:
            raise CatalogError(f"{req.id}: severity {req.severity!r} not in {SEVERITIES}")
        if req.footprint not in FOOTPRINTS:
            raise CatalogError(f"{req.id}: footprint {req.footprint!r} not in {FOOTPRINTS}")
        unknown = [c for c in req.diagnoses if c not in diagnoses]
        if unknown:
            raise CatalogError(f"{req.id}: diagnosis codes not in the vocabulary: {unknown}")
        requirements[req.id] = req
    transport = code_sets.get(TRANSPORT_SET, [])
    unknown = [c for c in transport if c not in diagnoses]
    if unknown:
        raise CatalogError(f"code set {TRANSPORT_SET!r}: codes not in the vocabulary: {unknown}")
    return Catalog(requirements, diagnoses, frozenset(transport))


def expand(codes: Iterable[str], code_sets: Mapping[str, list[str]]) -> tuple[str, ...]:
    """A requirement's diagnoses with each `@set` replaced by the set's codes, in order, once."""
    out: list[str] = []
    for code in codes:
        if code.startswith("@"):
            if code[1:] not in code_sets:
                raise CatalogError(f"unknown code set {code!r}")
            out += code_sets[code[1:]]
        else:
            out.append(code)
    return tuple(dict.fromkeys(out))


@cache
def load(directory: Path = CATALOG_DIR) -> Catalog:
    return parse({p.name: p.read_text() for p in sorted(directory.glob("*.toml"))})
