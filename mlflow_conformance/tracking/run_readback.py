"""What the tracking canary writes, and pure comparisons of it with what was read back.

Reads come in two shapes (MLflow client entities, REST JSON); both are normalised to one
plain form first, so one comparison judges both paths.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PARAMS = {"alpha": "0.5", "l1_ratio": "0.1", "solver": "saga"}
TAGS = {"canary.team": "platform", "canary.purpose": "deep health check"}
# loss by step, logged one call per step; the latest (by step) is what search filters on.
LOSS = [(0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)]
BATCH_PARAMS = {"batch.size": "32"}
BATCH_TAGS = {"canary.batch": "yes"}
ACCURACY = [(0, 0.6), (1, 0.7), (2, 0.8)]  # logged in one log_batch call
REST_PARAMS = {"rest.param": "written-over-rest"}
REST_TAGS = {"canary.rest": "yes"}


@dataclass
class RunView:
    """A run as read back: only what the canary compares."""

    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    latest: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    datasets: list[dict[str, str]] = field(default_factory=list)


def expected(run_tag: tuple[str, str]) -> RunView:
    return RunView(
        params={**PARAMS, **BATCH_PARAMS}, tags={**TAGS, **BATCH_TAGS, run_tag[0]: run_tag[1]},
        latest={"loss": LOSS[-1][1], "accuracy": ACCURACY[-1][1]},
        history={"loss": list(LOSS), "accuracy": list(ACCURACY)})


def from_client(run: Any, histories: Mapping[str, list[Any]]) -> RunView:
    datasets = [{"name": d.dataset.name, "digest": d.dataset.digest,
                 "context": next((t.value for t in d.tags if t.key == "mlflow.data.context"), "")}
                for d in (run.inputs.dataset_inputs if run.inputs else [])]
    return RunView(dict(run.data.params), dict(run.data.tags), dict(run.data.metrics),
                   {k: sorted((m.step, m.value) for m in v) for k, v in histories.items()},
                   datasets)


def from_rest(run: Mapping[str, Any], histories: Mapping[str, Sequence[Mapping[str, Any]]]
              ) -> RunView:
    data = run.get("data", {})
    datasets = [{"name": d["dataset"]["name"], "digest": d["dataset"]["digest"],
                 "context": next((t["value"] for t in d.get("tags", [])
                                  if t["key"] == "mlflow.data.context"), "")}
                for d in run.get("inputs", {}).get("dataset_inputs", [])]
    return RunView({p["key"]: p["value"] for p in data.get("params", [])},
                   {t["key"]: t["value"] for t in data.get("tags", [])},
                   {m["key"]: float(m["value"]) for m in data.get("metrics", [])},
                   {k: sorted((int(m.get("step", 0)), float(m["value"])) for m in v)
                    for k, v in histories.items()}, datasets)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def differences(want: RunView, got: RunView) -> list[str]:
    """Every way ``got`` falls short of ``want`` (extra system tags are fine)."""
    found: list[str] = []
    for label, wanted, seen in (("param", want.params, got.params),
                                ("tag", want.tags, got.tags)):
        for key, text in wanted.items():
            if key not in seen:
                found.append(f"{label} {key!r} missing")
            elif seen[key] != text:
                found.append(f"{label} {key!r} is {seen[key]!r}, wrote {text!r}")
    for key, number in want.latest.items():
        if key not in got.latest:
            found.append(f"metric {key!r} missing")
        elif not _same(got.latest[key], number):
            found.append(f"latest {key!r} is {got.latest[key]}, expected {number}")
    for key, points in want.history.items():
        seen_points = got.history.get(key, [])
        if len(seen_points) != len(points) or not all(
                s == ws and _same(v, wv) for (s, v), (ws, wv) in zip(seen_points, points,
                                                                     strict=False)):
            found.append(f"history of {key!r} is {seen_points}, wrote {points}")
    for dataset in want.datasets:
        if dataset not in got.datasets:
            found.append(f"dataset input {dataset} missing (read {got.datasets})")
    return found
