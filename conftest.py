"""Loads the harness's pytest plugin for every run from this folder (suites and self-tests)."""

pytest_plugins = [
    "fixtures.plugin",
    "fixtures.target",
    "fixtures.recording",
    "fixtures.probes",
]
