"""Fixtures for the harness's own tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.fixtures.target import current_stack_state
from mlflow_conformance.stack.lifecycle import StackState, keep

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def stack(deployment, pytestconfig) -> StackState:
    """The state of this session's embedded stack (its servers, ports and logs)."""
    state = current_stack_state(run_context(pytestconfig))
    assert state is not None, "the session's deployment is not an embedded stack"
    return state


@pytest.fixture(scope="session")
def stack_pointer(stack, tmp_path_factory) -> Path:
    """A pointer file to this session's embedded stack: an inner run given it through
    MLFLOW_CONFORMANCE_STACK_POINTER reuses the stack instead of starting another."""
    return keep(stack, tmp_path_factory.mktemp("pointer") / "stack-pointer")


@pytest.fixture
def run_harness(tmp_path):
    """Run `pytest ARGS` from the repository root in a subprocess, as a user would."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT,
                              env={**os.environ, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout, check=False)

    return run


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fault(requirement, code): this self-test breaks a real part so that the "
        "requirement's check concludes the code (tests/golden/fault-tests.txt lists them all)")
