"""Compare a run with a baseline run: what changed, per requirement.

Both sides are results.json data (dicts), so the same code serves ``--baseline`` during a
run and ``python -m mlflow_conformance diff OLD NEW`` on two files. "Failing" means fail or
error: a check that could not run is no proof that the requirement still holds.

A regression (``--fail-on regression``) is a ``new_failure``: a requirement that passed,
warned or was skipped in the baseline and now fails or errors, or one the baseline did not
have that fails now. A requirement that failed before and is skipped now is
``not_rechecked``, never ``fixed``: skipping a check must not look like repairing it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# In the order a reader should see them.
CLASSES = ("new_failure", "still_failing", "not_rechecked", "fixed", "new_requirement",
           "removed", "unchanged")
LABELS = {"new_failure": "new failure", "still_failing": "still failing",
          "not_rechecked": "not rechecked", "fixed": "fixed", "new_requirement": "new requirement",
          "removed": "removed", "unchanged": "unchanged"}
FAILING = frozenset({"fail", "error"})
VERIFIED = frozenset({"pass", "warn"})


class BaselineError(ValueError):
    """The baseline file is not a results.json this harness can compare against."""


def classify(before: str | None, after: str | None) -> str:
    """The change class of one requirement from its outcomes (None: absent from that run)."""
    if before is None and after is None:
        raise ValueError("a requirement must appear in at least one run")
    if before is None:
        return "new_failure" if after in FAILING else "new_requirement"
    if after is None:
        return "removed"
    if before in FAILING:
        if after in FAILING:
            return "still_failing"
        return "fixed" if after in VERIFIED else "not_rechecked"
    return "new_failure" if after in FAILING else "unchanged"


def _by_id(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(r["id"]): r for r in results.get("requirements", [])}


def compare(old: Mapping[str, Any], new: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """The baseline section of results.json: counts per class and one entry per requirement."""
    before, after = _by_id(old), _by_id(new)
    changes = []
    for rid in sorted(before.keys() | after.keys()):
        was, now = before.get(rid), after.get(rid)
        outcome_before = str(was["outcome"]) if was else None
        outcome_after = str(now["outcome"]) if now else None
        changes.append({
            "id": rid,
            "title": str((now or was or {}).get("title", "")),
            "class": classify(outcome_before, outcome_after),
            "before": outcome_before, "after": outcome_after,
            "codes_before": list(was.get("codes", [])) if was else [],
            "codes_after": list(now.get("codes", [])) if now else [],
        })
    changes.sort(key=lambda c: (CLASSES.index(c["class"]), c["id"]))
    counts = {name: sum(c["class"] == name for c in changes) for name in CLASSES}
    return {
        "source": source, "run_id": old.get("run_id"), "started": old.get("started"),
        "verdict": old.get("verdict"), "harness_version": old.get("harness_version"),
        "counts": counts,
        "new_failures": [c["id"] for c in changes if c["class"] == "new_failure"],
        "changes": changes,
    }


def read_json(path: str | Path, error: type[Exception]) -> Any:
    """A results file's JSON, or a diagnostics bundle's results.json; ``error`` (one line, no
    traceback) when it cannot be read."""
    from ..bundle import archive  # deferred: reading a plain results.json needs no tarfile

    try:
        if archive.is_bundle(path):
            return json.loads(archive.results_text(path))
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, archive.BundleError) as exc:
        raise error(f"{path}: cannot read results JSON: {exc}") from None


def load(path: str | Path) -> dict[str, Any]:
    """Read a results.json to compare against; BaselineError says why it cannot serve."""
    data = read_json(path, BaselineError)
    problems = [] if isinstance(data, dict) else ["not a JSON object"]
    if not problems:
        problems = [f"no {key!r}" for key in ("schema_version", "run_id", "requirements")
                    if key not in data]
    if not problems:
        problems = [f"requirement entry {i} lacks id/outcome"
                    for i, r in enumerate(data["requirements"])
                    if not isinstance(r, dict) or "id" not in r or "outcome" not in r][:3]
    if problems:
        raise BaselineError(f"{path}: not a conformance results.json ({'; '.join(problems)})")
    return data


def summary_line(diff: Mapping[str, Any]) -> str:
    """'2 new failures, 1 fixed, 5 unchanged' (classes with no members left out)."""
    parts = [f"{n} {LABELS[name]}" + ("s" if n > 1 and name.startswith("new_") else "")
             for name, n in diff["counts"].items() if n]
    return ", ".join(parts) or "no requirements in either run"


def change_lines(diff: Mapping[str, Any]) -> list[str]:
    """One terminal line per requirement whose state changed (or stayed failing)."""
    return [f"  {LABELS[c['class']].upper():15} {c['id']:9} {c['before'] or '-':>5} -> "
            f"{c['after'] or '-':5} [{','.join(c['codes_after'] or c['codes_before'])}] "
            f"{c['title']}" for c in diff["changes"] if c["class"] != "unchanged"]
