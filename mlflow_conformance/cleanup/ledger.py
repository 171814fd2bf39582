"""The cleanup ledger: everything a run creates is recorded before use and removed at the end.

Entries are appended as JSON lines (flushed and fsynced) so that an interrupted run leaves a
readable record; every created MLflow entity also carries the tag ``RUN_TAG`` and every S3
object lives under ``s3_prefix(run_id)``, so `sweep` can find leftovers even without a
ledger. Removal is best effort per entry and reports what it removed and what it could not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUN_TAG = "mlflow_conformance.run_id"
NAME_PREFIX = "conformance"


def s3_prefix(run_id: str) -> str:
    return f"{NAME_PREFIX}/{run_id}/"


def experiment_name(run_id: str, name: str) -> str:
    return f"/{NAME_PREFIX}/{run_id}/{name}"


def model_name(run_id: str, name: str, suffix: str) -> str:
    """A registered model name in the platform's dotted style (production.fraud_detection),
    suffixed with the run id so `sweep` finds it, and ``suffix`` so names never collide."""
    return f"{name}.{NAME_PREFIX}_{run_id}_{suffix}"


@dataclass(frozen=True)
class Entry:
    kind: str  # experiment | run | registered_model | s3_prefix | ...
    ident: str  # experiment id, run id, model name, bucket/prefix
    run_id: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Removal:
    removed: list[Entry] = field(default_factory=list)
    failed: list[tuple[Entry, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was removed (purged, soft only)

    def merge(self, other: Removal) -> None:
        self.removed += other.removed
        self.failed += other.failed
        self.notes += other.notes

    def to_dict(self) -> dict[str, Any]:
        return {"removed": [asdict(e) for e in self.removed],
                "failed": [{**asdict(e), "reason": why} for e, why in self.failed],
                "notes": list(self.notes)}


class Ledger:
    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id

    def record(self, kind: str, ident: str, **details: Any) -> Entry:
        entry = Entry(kind, ident, self.run_id, details)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as out:
            out.write(json.dumps(asdict(entry)) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return entry

    def forget(self, gone: Iterable[Entry]) -> None:
        """Rewrite the file without entries that were removed, so a later pass (the
        controller after an interrupted run) only retries what is left."""
        removed = {(e.kind, e.ident) for e in gone}
        left = [e for e in self.entries() if (e.kind, e.ident) not in removed]
        if not left:
            self.path.unlink(missing_ok=True)
            return
        self.path.write_text("".join(json.dumps(asdict(e)) + "\n" for e in left))

    def entries(self) -> list[Entry]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text().splitlines():
            if line.strip():
                try:
                    found.append(Entry(**json.loads(line)))
                except (ValueError, TypeError):
                    continue  # a line cut by a kill: the tag/prefix sweep still finds it
        return found


Remover = Callable[[Entry], None]


def remove(entries: Iterable[Entry], removers: dict[str, Remover]) -> Removal:
    """Remove entries newest first (runs before their experiments), never stopping early.
    Each (kind, ident) once: checks that share a prefix or a run may each have recorded it."""
    outcome = Removal()
    handled: set[tuple[str, str]] = set()
    for entry in reversed(list(entries)):
        if (entry.kind, entry.ident) in handled:
            continue
        handled.add((entry.kind, entry.ident))
        remover = removers.get(entry.kind)
        if remover is None:
            outcome.failed.append((entry, f"no remover for kind {entry.kind!r}"))
            continue
        try:
            remover(entry)
        except Exception as exc:  # noqa: BLE001 - one failure must not keep the rest
            outcome.failed.append((entry, f"{type(exc).__name__}: {exc}"[:300]))
        else:
            outcome.removed.append(entry)
    return outcome
