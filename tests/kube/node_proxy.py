"""The node double's kube-proxy and cluster DNS, for what a pod on the host network can see:
a TCP listener on every Service's ClusterIP:port forwarding to a ready endpoint, and the
Service names a pod's /etc/hosts maps (cluster DNS with the pod namespace's search domain)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from dataclasses import dataclass, field

from tests.kube.node_config import pod_hostname

log = logging.getLogger(__name__)
Backend = tuple[str, int]


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@dataclass
class Listener:
    address: Backend
    backends: list[Backend]
    sock: socket.socket
    connections: list[socket.socket] = field(default_factory=list)
    thread: threading.Thread | None = None
    turn: int = 0

    def close(self) -> None:
        # shutdown first: a close alone leaves the socket listening until accept() returns
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.close()
        if self.thread is not None:
            self.thread.join(timeout=2)


class Proxy:
    """Follows Services and Endpoints (one snapshot per `sync`); reachable = listening."""

    def __init__(self) -> None:
        self.listeners: dict[Backend, Listener] = {}

    def sync(self, services: list[dict], endpoints: list[dict]) -> None:
        wanted = desired_routes(services, endpoints)
        for address in [a for a in self.listeners if a not in wanted]:
            self.listeners.pop(address).close()
        for address, backends in wanted.items():
            if address in self.listeners:
                self.listeners[address].backends = backends
            else:
                self._listen(address, backends)

    def _listen(self, address: Backend, backends: list[Backend]) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            log.warning("cannot listen on %s:%s: %s", *address, exc)
            return   # tried again on the next sync
        sock.listen(64)
        listener = Listener(address, backends, sock)
        listener.thread = threading.Thread(target=self._accept, args=(listener,), daemon=True,
                                           name=f"proxy-{address[0]}:{address[1]}")
        self.listeners[address] = listener
        listener.thread.start()

    def _accept(self, listener: Listener) -> None:
        while True:
            try:
                client, _ = listener.sock.accept()
            except OSError:
                return   # closed: the Service or its endpoints went away
            backend = listener.backends[listener.turn % len(listener.backends)]
            listener.turn += 1
            try:
                upstream = socket.create_connection(backend, timeout=5)
            except OSError:
                client.close()   # as a connection to a dead endpoint: refused
                continue
            upstream.settimeout(None)
            listener.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def close(self) -> None:
        for address in list(self.listeners):
            self.listeners.pop(address).close()

def hosts_file(pod: dict, services: list[dict]) -> str:
    """The pod's /etc/hosts: itself, every Service with a ClusterIP under the names cluster
    DNS answers from the pod's namespace (short names only for its own), its hostAliases."""
    namespace = pod["metadata"]["namespace"]
    hostname = pod_hostname(pod)
    lines = ["# Kubernetes-managed hosts file (node double).",
             "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             f"127.0.0.1\t{hostname}"]
    for service in services:
        ip = service.get("spec", {}).get("clusterIP")
        if not ip or ip == "None":
            continue
        name, ns = service["metadata"]["name"], service["metadata"]["namespace"]
        names = [f"{name}.{ns}.svc.cluster.local", f"{name}.{ns}.svc", f"{name}.{ns}"]
        if ns == namespace:
            names.append(name)
        lines.append(f"{ip}\t{' '.join(names)}")
    aliases = pod["spec"].get("hostAliases") or []
    if aliases:
        lines.append("# Entries added by HostAliases.")
        lines += [f"{a['ip']}\t{' '.join(a.get('hostnames') or [])}" for a in aliases]
    return "\n".join(lines) + "\n"


def desired_routes(services: list[dict], endpoints: list[dict]) -> dict[Backend, list[Backend]]:
    """ClusterIP:port → the ready endpoint addresses of the matching Endpoints port."""
    by_name = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in endpoints}
    routes: dict[Backend, list[Backend]] = {}
    for service in services:
        spec = service.get("spec", {})
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        key = (service["metadata"]["namespace"], service["metadata"]["name"])
        subsets = (by_name.get(key) or {}).get("subsets") or []
        for port in spec.get("ports") or []:
            if port.get("protocol", "TCP") != "TCP":
                continue
            backends = [(address["ip"], endpoint_port["port"])
                        for subset in subsets
                        for endpoint_port in subset.get("ports") or []
                        if endpoint_port.get("name", "") == port.get("name", "")
                        for address in subset.get("addresses") or []]
            if backends:
                routes[(ip, port["port"])] = backends
    return routes
