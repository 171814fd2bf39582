"""An MLflow 2.22 server in its own cached virtualenv, for the compatibility fault tests
(dead, silent and wrong-answering endpoints are in tests/fault_servers.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from mlflow_conformance.stack import mlflow_server
from mlflow_conformance.stack.process import free_ports, spawn, stop, wait_ready

OLD_MLFLOW = "2.22.*"
VENV_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
    "mlflow-conformance" / "mlflow-2.22-venv"


def old_mlflow_venv() -> tuple[Path, float]:
    """The cached mlflow 2.22 virtualenv (made once per machine); seconds spent making it."""
    python = VENV_DIR / "bin" / "python"
    ready = VENV_DIR / "ready"
    VENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with FileLock(str(VENV_DIR) + ".lock"):
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV_DIR)], check=True,
                           timeout=120)
            done = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 f"mlflow=={OLD_MLFLOW}", "sqlalchemy<2.1"],
                capture_output=True, text=True, timeout=900, check=False)
            if done.returncode != 0:
                pytest.fail(f"installing mlflow {OLD_MLFLOW} failed: {done.stderr[-1500:]}")
            ready.write_text(OLD_MLFLOW)
    return python, round(time.monotonic() - began, 1)


@contextlib.contextmanager
def old_mlflow_server(python: Path, workdir: Path) -> Iterator[tuple[str, str]]:
    """mlflow 2.22 on its own SQLite database: (tracking URI, database URI).

    Its CLI starts gunicorn workers that outlive the CLI: spawn gives it its own process
    group, and stop signals the whole group."""
    port = free_ports(1)[0]
    database = f"sqlite:///{workdir / 'mlflow222.db'}"
    record = spawn("mlflow-2.22", [
        str(python), "-m", "mlflow", "server", "--backend-store-uri", database,
        "--default-artifact-root", str(workdir / "artifacts"), "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1"], workdir / "mlflow222.log",
        env=_clean_env(workdir), cwd=workdir)
    try:
        wait_ready(record, lambda: mlflow_server.healthy(port), timeout=120)
        yield f"http://127.0.0.1:{port}", database
    finally:
        stop(record, timeout=15)


def _clean_env(workdir: Path) -> dict[str, str]:
    # Nothing of the harness's own Python may leak into the old server's interpreter.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "TMPDIR": str(workdir)}
