"""Compose the embedded stack, persist its state, reuse it, and take it down without traces.

The state file (mode 0600, it holds the stack's generated credentials) lets a later run or
`stack down` find the processes; it lives inside the stack's own temporary directory, with
a pointer beside the harness's cache when the stack is kept up between runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from .. import progress as display
from ..deployment import Deployment, S3Identity
from ..scratch import write_private
from . import mlflow_server, postgres, seaweed
from .process import ProcessRecord, StackError, alive, free_ports, start_time

LOCAL_GAPS = {
    "jar_missing": "the embedded stack runs pip's pyspark, which ships neither hadoop-aws nor "
                   "the mlflow-spark jar; both exist only on the platform's Spark image",
}


@dataclass
class StackState:
    workdir: str
    artifact_mode: str
    tracking_port: int
    s3_port: int
    pg_port: int
    pg_password: str = field(repr=False)  # pytest -l prints a state it finds in locals
    identities: list[S3Identity]
    processes: list[ProcessRecord] = field(default_factory=list)
    mlflow_version: str = ""
    started_at: float = 0.0
    startup_seconds: float = 0.0
    # The process that started the stack, by pid and start time: when it is gone and nobody
    # keeps the stack up, the stack is an orphan (a SIGKILLed run's) that find_orphans sees.
    owner: int = 0
    owner_started: int | None = None
    # The pointer file through which `stack up` keeps the stack running (empty: it does not).
    # Recorded here because another process may look for pointers elsewhere (its own
    # MLFLOW_CONFORMANCE_STACK_POINTER) and would take a kept stack for a dead run's.
    kept_by: str = ""

    @property
    def tracking_uri(self) -> str:
        return f"http://127.0.0.1:{self.tracking_port}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def backend_uri(self) -> str:
        return postgres.PostgresInfo(self.pg_port, self.pg_password).uri()

    @property
    def state_file(self) -> Path:
        return Path(self.workdir) / "state.json"

    def save(self) -> Path:
        path = self.state_file
        write_private(path, json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def load(cls, path: Path) -> StackState:
        data = json.loads(path.read_text())
        data["identities"] = [S3Identity(**i) for i in data["identities"]]
        data["processes"] = [ProcessRecord(**{**p, "ports": tuple(p.get("ports", ()))})
                             for p in data["processes"]]
        return cls(**data)

    def running(self) -> bool:
        return bool(self.processes) and all(alive(p.pid) for p in self.processes)

    def deployment(self) -> Deployment:
        ids = {i.name: i for i in self.identities}
        admin = ids["admin"]
        artifact_root = ("mlflow-artifacts:/" if self.artifact_mode == "proxied"
                         else mlflow_server.artifact_destination(seaweed.BUCKET))
        job_env = {"MLFLOW_TRACKING_URI": self.tracking_uri,
                   **mlflow_server.s3_env(self.s3_endpoint, admin.access_key, admin.secret_key)}
        spark_conf = {
            "spark.hadoop.fs.s3a.endpoint": self.s3_endpoint,
            "spark.hadoop.fs.s3a.access.key": admin.access_key,
            "spark.hadoop.fs.s3a.secret.key": admin.secret_key,
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
            "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
            # Executors get the client environment through the Spark conf, as on the platform.
            **{f"spark.executorEnv.{k}": v for k, v in job_env.items()},
        }
        return Deployment(
            kind="local", tracking_uri=self.tracking_uri, artifact_root=artifact_root,
            s3_endpoint=self.s3_endpoint, bucket=seaweed.BUCKET, driver_identity=admin,
            executor_identity=admin, other_identities=(ids["reader"], ids["outsider"]),
            backend_db_uri=self.backend_uri, job_env=job_env, spark_conf=spark_conf,
            known_gaps=LOCAL_GAPS, server_version=self.mlflow_version)


def start(artifact_mode: str = "proxied") -> StackState:
    """Start PostgreSQL, SeaweedFS and mlflow server; one step of the progress display,
    which each front end shows its way."""
    with display.step("starting the embedded stack") as shown:
        state = _start(artifact_mode)
        shown.note = f"mlflow server {state.mlflow_version} at {state.tracking_uri}"
    return state


def _start(artifact_mode: str) -> StackState:
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="mlflow-conformance-stack-"))
    workdir.chmod(0o711)  # PostgreSQL runs as another user and must reach its folders
    # All ports in one call: separate calls could hand out the same free port twice.
    tracking_port, pg_port, *s3_ports = free_ports(9)
    s3_port = s3_ports[0]
    state = StackState(str(workdir), artifact_mode, tracking_port, s3_port, pg_port, "",
                       seaweed.make_identities(), started_at=time.time(),
                       mlflow_version=metadata.version("mlflow"), owner=_owner(),
                       owner_started=start_time(_owner()))
    try:
        # Both start in about a second; neither needs the other.
        display.update("PostgreSQL starting")
        pg_record, pg_info = postgres.start(workdir, pg_port)
        state.processes.append(pg_record)
        state.pg_password = pg_info.password
        state.save()
        display.update("PostgreSQL up, SeaweedFS S3 starting")
        state.processes.append(seaweed.start(workdir, s3_ports, state.identities))
        state.save()
        display.update(f"PostgreSQL, SeaweedFS up, mlflow server starting ({artifact_mode} "
                       "artifacts)")
        admin = state.identities[0]
        state.processes.append(mlflow_server.start(
            workdir, tracking_port, state.backend_uri, state.s3_endpoint, seaweed.BUCKET,
            admin.access_key, admin.secret_key, artifact_mode))
    except BaseException:
        # Ctrl-C during start-up lands here too: nothing that started may outlive us.
        stop(state)
        raise
    state.startup_seconds = round(time.monotonic() - began, 2)
    state.save()
    return state


_STOPPERS = {
    "mlflow-server": mlflow_server.stop_server,
    "seaweedfs": seaweed.stop_server,
    "postgresql": postgres.stop_server,
}


def stop(state: StackState) -> None:
    """Stop servers in reverse start order (clients before the stores), remove the folder."""
    errors = []
    for record in reversed(state.processes):
        try:
            _STOPPERS[record.name](record)
        except Exception as exc:  # noqa: BLE001 - keep stopping the others
            errors.append(f"{record.name}: {exc}")
    shutil.rmtree(state.workdir, ignore_errors=True)
    with contextlib.suppress(OSError):
        pointer = pointer_file()
        if pointer.exists() and pointer.read_text().strip() == str(state.state_file):
            pointer.unlink()
    if errors:
        raise StackError("; ".join(errors))


def pointer_file() -> Path:
    """Where `stack up` records the state file of the stack it keeps running."""
    configured = os.environ.get("MLFLOW_CONFORMANCE_STACK_POINTER")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "mlflow-conformance" / "stack-pointer"


def load_pointed(pointer: Path | None = None) -> StackState | None:
    """The stack a pointer file names (default: the one `stack up` keeps), running or not;
    None when there is no readable pointer or state."""
    try:
        return StackState.load(Path((pointer or pointer_file()).read_text().strip()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_running(pointer: Path | None = None) -> StackState | None:
    """The stack a pointer names (default: the one kept up by `stack up`), if it still runs."""
    state = load_pointed(pointer)
    return state if state is not None and state.running() else None


def _owner() -> int:
    # An xdist worker starts the shared stack, the controller (its parent) stops it.
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


def owner_gone(state: StackState) -> bool:
    now = start_time(state.owner) if state.owner else None
    return now is None or (state.owner_started is not None and now != state.owner_started)


def find_orphans(roots: tuple[Path, ...] | None = None) -> list[StackState]:
    """Stacks a dead run left behind (SIGKILL, a crash): their state on disk names processes
    still running, their owner is gone, and `stack up` does not keep them. Searched where a
    stack lives: the temp folder, directly or below a run's shared folder."""
    roots = roots or (Path(tempfile.gettempdir()),)
    kept = load_pointed()
    found = []
    for root in roots:
        for path in sorted({*root.glob("mlflow-conformance-stack-*/state.json"),
                            *root.glob("mlflow-conformance-run-*/*/mlflow-conformance-stack-*"
                                       "/state.json")}):
            try:
                state = StackState.load(path)
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if kept_up(state) or (kept is not None and kept.state_file == state.state_file):
                continue
            live = [p for p in state.processes if alive(p.pid) and not p.reused()]
            if live and owner_gone(state):
                found.append(state)
    return found


def stop_orphans(roots: tuple[Path, ...] | None = None) -> list[StackState]:
    """Stop every orphaned stack (process identity checked before each signal)."""
    stopped = []
    for state in find_orphans(roots):
        with contextlib.suppress(StackError):
            stop(state)
        stopped.append(state)
    return stopped


def keep(state: StackState, pointer: Path | None = None) -> Path:
    """Point at ``state``: with no ``pointer``, as the stack `stack up` keeps running (the
    state records where, for every process to see); a run's own pointer keeps nothing up."""
    if pointer is None:
        pointer = pointer_file()
        state.kept_by = str(pointer)
        state.save()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(state.state_file))
    return pointer


def kept_up(state: StackState) -> bool:
    """Whether `stack up` keeps this stack: the pointer it recorded still names it."""
    if not state.kept_by:
        return False
    try:
        return Path(state.kept_by).read_text().strip() == str(state.state_file)
    except OSError:
        return False


__all__ = ["StackError", "StackState", "find_orphans", "find_running", "keep", "start",
           "stop", "stop_orphans"]
