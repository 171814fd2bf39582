"""Readiness probes as the kubelet runs them (exec, tcpSocket, httpGet), each in a thread of
its own so that a slow probe never stalls the node's sync loop."""

from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ReadinessState:
    """The kubelet's result for one container: consecutive outcomes against thresholds."""

    probe: dict
    ready: bool = False
    successes: int = 0
    failures: int = 0
    next_at: float = 0.0
    busy: threading.Event = field(default_factory=threading.Event)

    def due(self, started: float) -> bool:
        first = started + self.probe.get("initialDelaySeconds", 0)
        return not self.busy.is_set() and time.monotonic() >= max(first, self.next_at)

    def record(self, ok: bool) -> None:
        self.successes, self.failures = (self.successes + 1, 0) if ok else (0, self.failures + 1)
        if self.successes >= self.probe.get("successThreshold", 1):
            self.ready = True
        if self.failures >= self.probe.get("failureThreshold", 3):
            self.ready = False
        self.next_at = time.monotonic() + self.probe.get("periodSeconds", 10)
        self.busy.clear()


def _port(value: int | str, container: dict) -> int:
    if isinstance(value, int):
        return value
    named = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    return int(named.get(value, value))


def _http(probe: dict, container: dict, timeout: float) -> bool:
    get = probe["httpGet"]
    host, port = get.get("host", "127.0.0.1"), _port(get["port"], container)
    if get.get("scheme", "HTTP") == "HTTPS":
        # the kubelet does not verify a probed certificate
        context = ssl._create_unverified_context()  # noqa: S323
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {h["name"]: h["value"] for h in get.get("httpHeaders") or []}
        conn.request("GET", get.get("path", "/"), headers=headers)
        return 200 <= conn.getresponse().status < 400
    finally:
        conn.close()


def probe_once(probe: dict, container: dict, exec_prefix: list[str],
               env: dict[str, str]) -> bool:
    timeout = float(probe.get("timeoutSeconds", 1))
    try:
        if "exec" in probe:
            done = subprocess.run([*exec_prefix, *probe["exec"]["command"]], env=env,
                                  capture_output=True, timeout=timeout, check=False)
            return done.returncode == 0
        if "tcpSocket" in probe:
            tcp = probe["tcpSocket"]
            address = (tcp.get("host", "127.0.0.1"), _port(tcp["port"], container))
            with socket.create_connection(address, timeout=timeout):
                return True
        if "httpGet" in probe:
            return _http(probe, container, timeout)
    except (OSError, subprocess.TimeoutExpired, http.client.HTTPException):
        return False
    return False   # a probe kind the double does not run (grpc) never passes


def start_probe(state: ReadinessState, container: dict, exec_prefix: list[str],
                env: dict[str, str]) -> None:
    state.busy.set()
    threading.Thread(target=lambda: state.record(
        probe_once(state.probe, container, exec_prefix, env)), daemon=True).start()
