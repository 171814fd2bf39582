"""Real loopback servers that misbehave in one exact way, for fault-injection self-tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def closed_port() -> int:
    """A port that was free a moment ago and that nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts TCP connections (the kernel's backlog) but never answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log every request to stderr."""

    def send_body(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve ``handler`` on a free loopback port in a thread; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def http_server(status: int, body: str, headers: dict[str, str] | None = None,
                only_path: str | None = None, healthy: bool = True) -> Iterator[int]:
    """Answers every request with one canned response (a gateway, a login page, ...).

    With ``only_path`` other paths answer like a healthy MLflow server would on /health and
    /version, so a single step of the probe can be made to fail.
    """
    fixed_headers = headers or {}

    class Handler(QuietHandler):
        def _answer(self) -> None:
            path = self.path.split("?")[0]
            if only_path and path != only_path and healthy:
                text = "OK" if path == "/health" else "3.17.2"
                self.send_body(200, {"Content-Type": "text/plain"}, text.encode())
                return
            self.send_body(status, fixed_headers, body.encode())

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            self.rfile.read(length)
            self._answer()

    with serving(Handler) as port:
        yield port
