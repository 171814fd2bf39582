"""Real TLS for the TLS self-tests: certificates from a private CA (good, wrong name, expired,
a client certificate), a self-signed one, and a TLS-terminating TCP proxy — an "ingress with
a private CA" in front of a real server of the embedded stack."""

from __future__ import annotations

import datetime
import os
import re
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.kube.pki import HOSTS, CertificateAuthority, ServingCert, alt_names, name_of, write_pair


class PrivateCA(CertificateAuthority):
    """pki's CA, plus a client certificate in one PEM file and a self-signed certificate
    (which no CA vouches for)."""

    def client_pem(self, name: str = "client") -> Path:
        """A client certificate and its key in one PEM file, as MLFLOW_TRACKING_CLIENT_CERT_PATH
        (requests' cert=PATH) takes it."""
        issued = self.issue(name, (name,), client=True)
        combined = self.folder / f"{name}-with-key.pem"
        combined.touch(mode=0o600)
        combined.write_bytes(issued.cert_file.read_bytes() + issued.key_file.read_bytes())
        return combined

    def self_signed(self, name: str = "self-signed") -> ServingCert:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name_of(name)).issuer_name(name_of(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(alt_names(HOSTS), critical=False)
            .sign(key, hashes.SHA256()))
        return write_pair(self.folder, name, cert, key)


@dataclass(frozen=True)
class Proxy:
    port: int

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def _pump(client: ssl.SSLSocket, upstream: socket.socket, host: bytes | None) -> None:
    """Copy bytes both ways until either side closes; one thread, so the SSL object is never
    used from two threads at once. With ``host`` the requests' Host header becomes it, as
    nginx sends the upstream's host by default (proxy_set_header Host $proxy_host)."""
    while True:
        readable, _, _ = select.select([client, upstream], [], [], 30)
        if not readable:
            return
        if client in readable:
            data = client.recv(65536)
            while data and client.pending():
                data += client.recv(client.pending())
            if not data:
                return
            if host is not None:
                data = HOST_HEADER.sub(rb"\g<1>" + host + b"\r", data)
            upstream.sendall(data)
        if upstream in readable:
            data = upstream.recv(65536)
            if not data:
                return
            client.sendall(data)


HOST_HEADER = re.compile(rb"(?im)^(host:[ \t]*)[^\r\n]*\r$")


@contextmanager
def tls_proxy(upstream_port: int, cert: ServingCert, client_ca: Path | None = None,
              rewrite_host: bool = True) -> Iterator[Proxy]:
    """Terminate TLS with ``cert`` on a free loopback port and forward the plain bytes to
    127.0.0.1:upstream_port. With ``client_ca`` a client certificate it signed is required.
    ``rewrite_host=False`` keeps the client's Host (S3 signs it)."""
    host = f"127.0.0.1:{upstream_port}".encode() if rewrite_host else None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_file, cert.key_file)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    listener.settimeout(0.5)  # the accept loop notices the stop
    open_sockets: list[socket.socket] = []
    stopping = threading.Event()

    def serve(conn: socket.socket) -> None:
        # A second handle on the connection outlives a failed handshake: reading what the
        # client still sends lets its TLS alert arrive instead of a reset that would lose it.
        raw = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            conn.settimeout(5)
            with context.wrap_socket(conn, server_side=True) as client, \
                    socket.create_connection(("127.0.0.1", upstream_port), timeout=5) as up:
                open_sockets.extend([client, up])
                client.settimeout(30)
                up.settimeout(30)
                _pump(client, up, host)
        except (OSError, ValueError):
            with suppress(OSError):  # a failed handshake is what the client is to see
                raw.shutdown(socket.SHUT_WR)
                raw.settimeout(2)
                while raw.recv(65536):
                    pass
        finally:
            conn.close()
            raw.close()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            open_sockets.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield Proxy(int(listener.getsockname()[1]))
    finally:
        stopping.set()
        listener.close()
        for each in open_sockets:
            with suppress(OSError):
                each.close()
