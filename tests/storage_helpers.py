"""Real parts for the storage and compatibility fault tests: dead and silent endpoints, a tiny
HTTP server with a wrong /version, and an MLflow 2.22 server in its own cached virtualenv."""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
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


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    return free_ports(1)[0]


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never answers (a dropped or hung endpoint)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stopping.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    worker = threading.Thread(target=accept, daemon=True)
    worker.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stopping.set()
        worker.join(2)
        for conn in held:
            conn.close()
        listener.close()


@contextlib.contextmanager
def text_server(body: str, content_type: str = "text/html") -> Iterator[int]:
    """Answers every GET and POST with 200 and ``body`` (e.g. a gateway's page)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


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
    port = closed_port()
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
