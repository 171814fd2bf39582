"""`mlflow server` on the stack's PostgreSQL and S3, lean, on loopback.

Lean settings from the local facts: no job runner (it alone costs ~3 GiB and leaves
/dev/shm files), two workers. The Host allow-list names exactly the addresses the checks use.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

from .process import ProcessRecord, spawn, stop, wait_ready

ARTIFACT_PREFIX = "artifacts"


# The names jobs reach the platform's server by (its Service, short and qualified), as the
# chart's server allows them: the reference stack can then stand behind a cluster's Service.
PLATFORM_SERVICE_HOSTS = ("ilum-mlflow-tracking:5000", "ilum-mlflow-tracking.*:5000")


def allowed_hosts(port: int) -> list[str]:
    return [f"127.0.0.1:{port}", f"localhost:{port}", *PLATFORM_SERVICE_HOSTS]


def artifact_destination(bucket: str) -> str:
    return f"s3://{bucket}/{ARTIFACT_PREFIX}"


def s3_env(s3_endpoint: str, access_key: str, secret_key: str) -> dict[str, str]:
    """The S3 client environment the server and the jobs share (SeaweedFS: path style)."""
    return {"MLFLOW_S3_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key, "AWS_DEFAULT_REGION": "us-east-1",
            "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE": "path"}


def start(workdir: Path, port: int, backend_uri: str, s3_endpoint: str, bucket: str,
          access_key: str, secret_key: str, artifact_mode: str) -> ProcessRecord:
    destination = artifact_destination(bucket)
    if artifact_mode == "proxied":
        artifacts = ["--serve-artifacts", "--artifacts-destination", destination]
    else:
        artifacts = ["--no-serve-artifacts", "--default-artifact-root", destination]
    env = {
        **os.environ,
        **s3_env(s3_endpoint, access_key, secret_key),
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "TMPDIR": str(workdir / "tmp"),
        # The URI holds the database password: in the environment (mlflow's own variable for
        # --backend-store-uri), never on the command line, which `ps` shows every user.
        "MLFLOW_BACKEND_STORE_URI": backend_uri,
    }
    record = spawn("mlflow-server", [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        "--allowed-hosts", ",".join(allowed_hosts(port)), *artifacts,
    ], workdir / "logs" / "mlflow-server.log", env=env, cwd=workdir)
    wait_ready(record, lambda: healthy(port), timeout=90)
    return record


def healthy(port: int) -> bool:
    """GET /health on a loopback port answers 200 within a second."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def stop_server(record: ProcessRecord) -> None:
    stop(record, timeout=15)
