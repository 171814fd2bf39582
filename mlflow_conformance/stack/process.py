"""Start, watch and stop the stack's server processes.

Each server runs in its own session (process group), so a Ctrl-C in the terminal reaches
the harness, not the servers, and the harness stops them in order; stopping signals the
whole group, which also catches children (gunicorn/uvicorn workers) that outlive their parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import progress

GRPC_OFFSET = 10000  # SeaweedFS serves gRPC on each of its HTTP ports + 10000


class StackError(RuntimeError):
    """A stack component failed to start or stop; the message carries its log tail."""


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot, /proc/PID/stat field 22): with the
    pid, its identity — a pid the kernel reused for another process has another start."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count after the last ")".
    return int(stat.rsplit(")", 1)[1].split()[19])


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    log: str
    ports: tuple[int, ...] = ()  # what it listens on, for cleanup of per-port files
    started: int | None = None  # start_time(pid) when spawned: the process's identity

    def reused(self) -> bool:
        """Whether the pid now names another process than the one we started. (A leader that
        is gone leaves its group id to its group: no new group can take it while any member
        lives, so the members are still ours to stop.)"""
        now = start_time(self.pid)
        return now is not None and self.started is not None and now != self.started

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports nobody listens on right now.

    The sockets stay bound until all are chosen, so one call never returns a port twice.
    SeaweedFS derives gRPC ports as port + 10000, so that neighbour must be free as well.
    """
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
            grpc = port + GRPC_OFFSET
            if grpc > 65535 or grpc in ports or any(p + GRPC_OFFSET == port for p in ports):
                continue
            if port_open(grpc):
                continue
            ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def spawn(name: str, argv: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None,
          cwd: Path | None = None, user: str | None = None,
          ports: Sequence[int] = ()) -> ProcessRecord:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
            user=user, group=user)
    return ProcessRecord(name, proc.pid, str(log), tuple(ports), start_time(proc.pid))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone: reap it.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(record: ProcessRecord, timeout: float = 15.0,
         first_signal: signal.Signals = signal.SIGTERM) -> None:
    """Signal the process group, wait, then SIGKILL what is left — only while the leader is
    still the process we started (after a SIGKILLed run, its pid may be someone else's)."""
    pgid = record.pid  # start_new_session makes the leader's pid the group id
    if record.reused():
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, first_signal)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive(record.pid)  # reap the leader if it is our child
        if not _group_alive(pgid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _group_alive(pgid) and time.monotonic() < deadline:
        alive(record.pid)
        time.sleep(0.05)


def log_tail(path: str | Path, lines: int = 25) -> str:
    try:
        content = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(content[-lines:])


def wait_ready(record: ProcessRecord, ready: Callable[[], bool], timeout: float,
               stopper: Callable[[ProcessRecord], None] | None = None) -> float:
    """Poll ``ready`` until it holds; fail with the server's log tail if it dies or times out.

    On any failure, Ctrl-C included, the process is stopped here: the caller has not yet
    recorded it anywhere, so nobody else could.
    """
    start = time.monotonic()
    try:
        while True:
            if ready():
                return time.monotonic() - start
            if not alive(record.pid):
                raise StackError(f"{record.name} exited during start-up; its log ({record.log}) "
                                 "ends:\n" + log_tail(record.log))
            if time.monotonic() - start > timeout:
                raise StackError(f"{record.name} was not ready after {timeout:.0f} s; its log "
                                 f"({record.log}) ends:\n" + log_tail(record.log))
            progress.update()  # the step's clock moves while we wait
            time.sleep(0.1)
    except BaseException:
        (stopper or stop)(record)
        raise


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
