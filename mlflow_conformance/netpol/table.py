"""The expected truth table: rows are sources, columns are (destination, port) targets, each
cell the expected verdict and the reason. Plain data, ready for results.json."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .evaluate import evaluate
from .inventory import Inventory
from .model import Endpoint, Service


@dataclass(frozen=True)
class Target:
    destination: Endpoint | Service
    port: int
    protocol: str = "TCP"

    @property
    def label(self) -> str:
        kind = "service " if isinstance(self.destination, Service) else ""
        return f"{kind}{self.destination.key}:{self.port}/{self.protocol}"


@dataclass(frozen=True)
class Cell:
    source: str
    target: str
    allowed: bool
    reason: str
    policy: str | None = None  # the deciding rule when allowed by one
    direction: str | None = None
    rule: int | None = None


@dataclass
class TruthTable:
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    cells: list[list[Cell]] = field(default_factory=list)  # cells[row][column]

    def cell(self, source: str, target: str) -> Cell:
        return self.cells[self.rows.index(source)][self.columns.index(target)]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def truth_table(inventory: Inventory, sources: Sequence[Endpoint],
                targets: Sequence[Target]) -> TruthTable:
    table = TruthTable([s.key for s in sources], [t.label for t in targets])
    for source in sources:
        row = []
        for target in targets:
            verdict = evaluate(inventory, source, target.destination, target.port,
                               target.protocol)
            rule = verdict.deciding
            row.append(Cell(source.key, target.label, verdict.allowed, verdict.reason(),
                            rule.policy if rule else None, rule.direction if rule else None,
                            rule.rule if rule else None))
        table.cells.append(row)
    return table
