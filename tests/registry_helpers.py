"""Real parts for the tracking, registry and cleanup self-tests: an HTTP proxy in front of
the stack's MLflow server that breaks exactly one thing, and conformance runs of the real
suites (in-process with pytester, or as a subprocess that can be interrupted)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mlflow_conformance.deployment import Deployment
from tests.fault_servers import QuietHandler, serving
from tests.inner_session import ROOT, copy_suites

SUITES = ("test_tracking.py", "test_registry.py")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "trailer", "upgrade", "content-length", "host"}
FLASK_404 = ("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>"
             "\n<p>The requested URL was not found on the server.</p>\n")
# A rule answers (status, content type, body) instead of forwarding, or None to forward;
# it sees the method, the path and the request headers (the MLflow client and plain REST
# calls differ by User-Agent).
Rule = Callable[[str, str, Message], tuple[int, str, str] | None]
# A rewrite changes a forwarded answer's body (method, path, request headers, body).
Rewrite = Callable[[str, str, Message, bytes], bytes]
MLFLOW_CLIENT_AGENT = "mlflow-python-client"
REGISTRY_ROUTES = tuple(f"/{api}/2.0/mlflow/{route}/" for api in ("api", "ajax-api")
                        for route in ("registered-models", "model-versions"))


def no_registry(method: str, path: str, _headers: Message
                ) -> tuple[int, str, str] | None:
    """A server without the model registry: its routes answer like unknown Flask routes."""
    return (404, "text/html; charset=utf-8", FLASK_404) if path.startswith(REGISTRY_ROUTES) \
        else None


def aliases_not_stored(method: str, path: str, _headers: Message
                       ) -> tuple[int, str, str] | None:
    """Setting an alias answers OK but never reaches the server (the alias does not stick)."""
    if method == "POST" and path == "/api/2.0/mlflow/registered-models/alias":
        return 200, "application/json", "{}"
    return None


@contextmanager
def mlflow_proxy(upstream: str, rule: Rule, rewrite: Rewrite | None = None) -> Iterator[str]:
    """A forwarding proxy on a free loopback port; yields its URL."""
    target = urlparse(upstream)

    class Handler(QuietHandler):
        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", ""):
                data = b""
                while (size := int(self.rfile.readline().strip() or b"0", 16)):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return data
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def _handle(self) -> None:
            body = self._body()
            path = self.path.split("?")[0]
            canned = rule(self.command, path, self.headers)
            if canned is not None:
                self.send_body(canned[0], {"Content-Type": canned[1]}, canned[2].encode())
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = target.netloc  # the server allows only its own address
            upstream_conn = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=60)
            try:
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                answer = upstream_conn.getresponse()
                data = answer.read()
                if rewrite is not None:
                    data = rewrite(self.command, path, self.headers, data)
                kept = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
                self.send_body(answer.status, kept, data)
            finally:
                upstream_conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    with serving(Handler) as port:
        yield f"http://127.0.0.1:{port}"


def behind(deployment: Deployment, tracking_uri: str) -> Deployment:
    """The same deployment, reached at another tracking URI (the proxy)."""
    return replace(deployment, tracking_uri=tracking_uri,
                   job_env={**deployment.job_env, "MLFLOW_TRACKING_URI": tracking_uri})


def target_args(deployment: Deployment, tracking_uri: str) -> list[str]:
    """Command-line options naming the deployment (secrets go in the environment)."""
    assert deployment.driver_identity
    assert deployment.s3_endpoint
    assert deployment.bucket
    return ["--tracking-uri", tracking_uri, "--s3-endpoint", deployment.s3_endpoint,
            "--s3-bucket", deployment.bucket,
            "--s3-access-key", deployment.driver_identity.access_key]


def target_env(deployment: Deployment) -> dict[str, str]:
    assert deployment.driver_identity
    return {"MLFLOW_CONFORMANCE_S3_SECRET_KEY": deployment.driver_identity.secret_key,
            "MLFLOW_CONFORMANCE_BACKEND_DB_URI": deployment.backend_db_uri or ""}


def run_suites_inner(pytester: Any, monkeypatch: Any, deployment: Deployment,
                     tracking_uri: str, report_dir: Path, *extra: str) -> tuple[Any, dict]:
    """The real tracking and registry suites in an inner session; (outcome, results.json).

    A subprocess: in-process, pytester would drop the mlflow modules the inner session
    imported first, and a later import would load a second, half-initialised copy."""
    copy_suites(pytester, SUITES)
    for key, value in target_env(deployment).items():
        monkeypatch.setenv(key, value)
    result = pytester.runpytest_subprocess(*target_args(deployment, tracking_uri),
                                "--report-dir", str(report_dir), "-p", "no:cacheprovider",
                                *extra)
    results_file = report_dir / "results.json"
    return result, json.loads(results_file.read_text()) if results_file.exists() else {}


def codes_by_requirement(results: dict) -> dict[str, tuple[str, str]]:
    return {t["requirements"][0]: (t["outcome"], t["code"]) for t in results["tests"]}


def suite_env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    """The environment of a run of the real suites against ``deployment``, as a user's: its
    secrets in the environment, no kept stack, TMPDIR keeping the run's temporary folder
    under tmp_path/tmp."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, **target_env(deployment), "TMPDIR": str(tmp_path / "tmp")}
    env.pop("MLFLOW_CONFORMANCE_STACK_POINTER", None)
    return env


def start_suites(deployment: Deployment, tmp_path: Path) -> subprocess.Popen[bytes]:
    """The real suites as a user runs them, in their own process group, so that the test
    can interrupt or kill them."""
    env = suite_env(deployment, tmp_path)
    with open(tmp_path / "run.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", *(f"suites/{n}" for n in SUITES),
             *target_args(deployment, deployment.tracking_uri),
             "--report-dir", str(tmp_path / "report"), "-p", "no:cacheprovider"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
