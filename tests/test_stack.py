"""The embedded stack: shared, reused, and gone without a trace, also after Ctrl-C or a
failed start."""

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mlflow_conformance.scratch import write_private
from mlflow_conformance.stack import lifecycle as local_stack
from mlflow_conformance.stack import mlflow_server, seaweed
from mlflow_conformance.stack.process import GRPC_OFFSET, StackError

ROOT = Path(__file__).parent.parent


def stack_dirs(root: Path) -> set[str]:
    return set(glob.glob(f"{root}/**/mlflow-conformance-stack-*", recursive=True))


def command_lines() -> list[str]:
    """Every process's command line, as `ps -eo args` shows it to any user."""
    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            found.append(Path(cmdline).read_bytes().replace(b"\0", b" ").decode(
                errors="replace"))
        except OSError:
            continue
    return found


def stack_processes(root: Path, stack_folders_only: bool = True) -> list[str]:
    """Command lines of processes that belong to a stack created under ``root`` (with
    ``stack_folders_only=False``: of any process whose command line names ``root``)."""
    return [text for text in command_lines() if f"{root}/" in text
            and ("mlflow-conformance-stack-" in text or not stack_folders_only)]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def scratch():
    """A temp root of the test's own (other stacks may run on this machine at the same
    time). Not under pytest's tmp_path: PostgreSQL runs as another user and must reach it."""
    root = Path(tempfile.mkdtemp(prefix="mc-selftest-"))
    root.chmod(0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def isolated_env(tmp_path, scratch):
    """A run that cannot reuse a kept stack and creates its stack under ``scratch``."""
    return {**os.environ, "MLFLOW_CONFORMANCE_STACK_POINTER": str(tmp_path / "no-pointer"),
            "TMPDIR": str(scratch)}


def run_suite(env, *args, timeout=180, suites=("suites/test_connectivity.py",)):
    return subprocess.run([sys.executable, "-m", "pytest", *suites, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_a_local_run_leaves_no_process_port_or_folder(isolated_env, tmp_path, scratch):
    began = time.monotonic()
    # The registry suite downloads models: MLflow's loaders leave a folder per load unless
    # the run's scratch catches them.
    done = run_suite(isolated_env, "--report-dir", str(tmp_path / "report"),
                     suites=("suites/test_connectivity.py", "suites/test_registry.py"))
    elapsed = time.monotonic() - began
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verdict: CONFORMANT" in done.stdout
    target = json.loads((tmp_path / "report" / "results.json").read_text())["target"]
    port = int(target["tracking_uri"].rsplit(":", 1)[1])
    s3_port = int(target["s3_endpoint"].rsplit(":", 1)[1])
    assert not listening(port)
    assert not listening(s3_port)
    # weed writes gRPC sockets to /tmp by port; the stack removes its own.
    assert glob.glob(f"/tmp/seaweedfs-*-grpc-{s3_port + GRPC_OFFSET}.sock") == []
    assert glob.glob(f"/tmp/mlflow-conformance-{s3_port}-*.sock") == []
    assert stack_processes(scratch) == []
    # Nothing at all is left in the run's temp root: stack, scratch, model downloads.
    assert sorted(p.name for p in scratch.iterdir()) == []
    assert elapsed < 90


def test_xdist_workers_share_one_stack(isolated_env, tmp_path):
    spy = tmp_path / "spy.txt"
    done = run_suite({**isolated_env, "STACK_SPY_FILE": str(spy)}, "-n", "2", "-p",
                     "tests.stack_spy", "--report-dir", str(tmp_path / "report"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    uris = spy.read_text().split()
    assert len(uris) == 2
    assert len(set(uris)) == 1


def stack_leftovers(scratch: Path, state: dict) -> dict[str, list]:
    """What a stack could leave behind: folders, processes, listening ports, weed's and the
    stack's socket files (empty lists when nothing is left)."""
    ports = [state["tracking_port"], state["s3_port"], state["pg_port"]]
    return {"folders": sorted(stack_dirs(scratch)), "processes": stack_processes(scratch),
            "ports": [port for port in ports if listening(port)],
            "sockets": [*glob.glob(f"/tmp/seaweedfs-*-grpc-{state['s3_port'] + GRPC_OFFSET}"
                                   ".sock"),
                        *glob.glob(f"/tmp/mlflow-conformance-{state['s3_port']}-*.sock")]}


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: s.name)
def test_a_signal_during_a_run_stops_the_stack(isolated_env, tmp_path, scratch, how):
    """Ctrl-C, a CI cancellation and a closed terminal, while the stack starts: exit 2 and
    nothing of the stack is left."""
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "suites/test_connectivity.py",
                             "--report-dir", str(tmp_path / "report")], cwd=ROOT,
                            env=isolated_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        # Wait until the stack is partly up: its state names its ports once PostgreSQL runs.
        states: list[str] = []
        while time.monotonic() < deadline and not states:
            states = glob.glob(f"{scratch}/**/mlflow-conformance-stack-*/state.json",
                               recursive=True)
            time.sleep(0.2)
        assert states, "the run never started a stack"
        state = json.loads(Path(states[0]).read_text())
        time.sleep(2)
        proc.send_signal(how)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    # The README's exit code for Ctrl-C, and for SIGTERM and SIGHUP alike.
    output = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.returncode == pytest.ExitCode.INTERRUPTED == 2, output[-2000:]
    assert stack_leftovers(scratch, state) == {"folders": [], "processes": [], "ports": [],
                                               "sockets": []}


def test_a_server_that_cannot_start_shows_its_log_and_is_gone(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        (tmp_path / "tmp").mkdir()
        with pytest.raises(StackError) as failure:
            mlflow_server.start(tmp_path, port, "sqlite:///" + str(tmp_path / "db.sqlite"),
                                "http://127.0.0.1:9", "mlflow", "key", "secret", "proxied")
    assert "Address already in use" in str(failure.value)
    assert "its log" in str(failure.value)
    # The server was started right under tmp_path (no stack folder): match on tmp_path alone.
    assert stack_processes(tmp_path, stack_folders_only=False) == []


def test_a_failed_start_stops_what_did_start(monkeypatch, scratch):
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def broken(*_args, **_kwargs):
        raise StackError("injected: seaweedfs did not start")

    monkeypatch.setattr(seaweed, "start", broken)
    with pytest.raises(StackError, match="injected"):
        local_stack.start()
    assert stack_dirs(scratch) == set()
    assert stack_processes(scratch) == []


def test_no_secret_of_the_stack_is_on_a_servers_command_line(deployment, spark):
    """`ps -eo args` shows every process's arguments to every user of the machine: the
    database password and the S3 secret keys go through the environment or files — for the
    servers and for the Spark JVM alike (pyspark passes the session's conf as spark-submit
    --conf arguments, so the secret settings are set in the running JVM instead)."""
    from urllib.parse import urlparse

    assert deployment.backend_db_uri
    password = urlparse(deployment.backend_db_uri).password
    assert password
    planted = {password, *(i.secret_key for i in deployment.identities)}
    leaked = [text.replace(secret, "***")[:160]
              for text in command_lines() for secret in planted if secret in text]
    assert leaked == []
    assert any("org.apache.spark.deploy.SparkSubmit" in text for text in command_lines())
    # ... and the JVM has the S3A secret all the same.
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    assert conf.get("fs.s3a.secret.key") == deployment.driver_identity.secret_key


def _stack_started(root: Path) -> bool:
    """The stack's state on disk lists all three servers (it is saved once they are up)."""
    for path in glob.glob(f"{root}/**/mlflow-conformance-stack-*/state.json", recursive=True):
        with contextlib.suppress(OSError, ValueError):
            if len(json.loads(Path(path).read_text())["processes"]) == 3:
                return True
    return False


def test_a_sigkilled_run_leaves_an_orphan_that_stack_status_names_and_stack_down_stops(
        isolated_env, tmp_path, scratch):
    """SIGKILL gives a run no chance to clean up: its servers (in their own sessions) keep
    running. The next `stack status` names them from the state on disk, `stack down` stops
    them: no process, port or stack folder is left."""
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "suites/test_connectivity.py",
                             "--report-dir", str(tmp_path / "report")], cwd=ROOT,
                            env=isolated_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _stack_started(scratch):
            time.sleep(0.2)
        assert _stack_started(scratch), "the run never started its servers"
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    [state_file] = glob.glob(f"{scratch}/**/mlflow-conformance-stack-*/state.json",
                             recursive=True)
    state = local_stack.StackState.load(Path(state_file))
    assert stack_processes(scratch), "SIGKILL should have left the servers running"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mlflow_conformance", "stack", *args],
                              cwd=ROOT, env=isolated_env, capture_output=True, text=True,
                              timeout=120, check=False)

    status = cli("status")
    assert f"orphaned stack of a dead run (pid {proc.pid})" in status.stderr
    assert state.workdir in status.stderr
    down = cli("down")
    assert f"stopped the orphaned stack at {state.tracking_uri}" in down.stdout, down.stderr
    assert stack_processes(scratch) == []
    assert stack_dirs(scratch) == set()
    assert not listening(state.tracking_port)
    assert not listening(state.pg_port)
    assert "orphaned" not in cli("status").stderr


def test_a_reused_pid_is_never_signalled(tmp_path):
    from mlflow_conformance.stack.process import ProcessRecord, spawn, start_time, stop

    record = spawn("sleeper", ["sleep", "60"], tmp_path / "sleep.log")
    try:
        assert record.started == start_time(record.pid)
        # The same pid with another start time: as if the kernel had handed it on.
        stop(ProcessRecord("sleeper", record.pid, record.log, (), (record.started or 0) + 1))
        assert start_time(record.pid) == record.started  # untouched
        stop(record)
        assert start_time(record.pid) is None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.pid, signal.SIGKILL)


def test_files_holding_secrets_are_private_from_their_first_byte(tmp_path):
    """Even under a permissive umask: created 0600 (mkstemp), never chmod'ed afterwards, and
    only the finished file appears under its name."""
    previous = os.umask(0)
    try:
        write_private(tmp_path / "secret.json", "s3cret")
    finally:
        os.umask(previous)
    assert (tmp_path / "secret.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secret.json").read_text() == "s3cret"
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"]


def test_a_stack_kept_up_through_another_pointer_is_no_orphan(isolated_env, tmp_path, scratch):
    """`stack up` with its own MLFLOW_CONFORMANCE_STACK_POINTER keeps a stack whose starter
    has exited: a process looking for pointers elsewhere must not take it for a dead run's
    (and stop it); once `stack down` removes the pointer, nothing is left."""
    env = {**isolated_env, "MLFLOW_CONFORMANCE_STACK_POINTER": str(tmp_path / "custom-pointer")}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mlflow_conformance", "stack", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                              check=False)

    up = cli("up")
    try:
        assert up.returncode == 0, up.stderr
        assert stack_processes(scratch)
        assert local_stack.find_orphans((scratch,)) == []  # this process: another pointer
    finally:
        down = cli("down")
    assert down.returncode == 0, down.stderr
    assert stack_processes(scratch) == []
