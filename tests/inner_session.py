"""Inner pytest sessions for the self-tests: the real suites copied beside them.

Inner sessions need no conftest to load the harness: its plugin registers through the
package's entry point, as in a user's run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent


def copy_suites(pytester: Any, names: Iterable[str]) -> None:
    for name in names:
        pytester.makepyfile(**{name.removesuffix(".py"): (ROOT / "suites" / name).read_text()})
