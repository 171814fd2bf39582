"""Loads the harness's pytest plugin for every run from this folder (suites and self-tests).

Every module in fixtures/ is a plugin, except the helpers listed here; a new fixture module
needs no edit of this file.
"""

from pathlib import Path

NOT_PLUGINS = {"__init__", "context", "hookspecs"}
pytest_plugins = sorted(
    f"fixtures.{path.stem}" for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if path.stem not in NOT_PLUGINS
)

# The harness's self-tests run inner pytest sessions (pytester).
pytest_plugins.append("pytester")
