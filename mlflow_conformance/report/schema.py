"""The checked-in JSON Schema of results.json, and validation against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


def problems(data: Any, limit: int = 20) -> list[str]:
    """What is wrong with ``data`` as results.json, one line each (empty: valid)."""
    import jsonschema  # deferred: only validation needs it

    validator = jsonschema.Draft202012Validator(schema())
    found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"[:300]
            for e in found[:limit]]
