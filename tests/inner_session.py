"""Inner pytest sessions for the self-tests: a conftest that loads the harness's plugins as
the repository's conftest does, and the real suites copied beside it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent


def plugins() -> list[str]:
    import conftest  # the repository's: it lists the harness's plugin modules

    return [p for p in conftest.pytest_plugins if p != "pytester"]


def harness_conftest() -> str:
    """The text of an inner session's conftest.py that loads the harness from this checkout."""
    return f"import sys\nsys.path.insert(0, {str(ROOT)!r})\npytest_plugins = {plugins()!r}\n"


def copy_suites(pytester: Any, names: Iterable[str]) -> None:
    for name in names:
        pytester.makepyfile(**{name.removesuffix(".py"): (ROOT / "suites" / name).read_text()})
