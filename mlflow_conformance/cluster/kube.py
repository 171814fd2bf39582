"""One way to talk to a cluster: an API client from the kubeconfig (or the in-cluster service
account), with the client's retries off and a short timeout on every call — a dead API server
yields a verdict in seconds, never a retry loop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..redact import basic_credentials

REQUEST_TIMEOUT = 10.0


class KubeUnreachable(RuntimeError):
    """No API server answers with this configuration (one line: where it looked, why)."""


def kubeconfig_path(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    # kubectl takes the first file of a KUBECONFIG list; so do we.
    return (env.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")).split(os.pathsep)[0]


@dataclass
class Kube:
    """The typed APIs over one ApiClient, and where that client came from."""

    api: Any  # kubernetes.client.ApiClient
    where: str  # "kubeconfig PATH, context C" or "in-cluster service account"
    timeout: float = REQUEST_TIMEOUT

    def __post_init__(self) -> None:
        from kubernetes import client

        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.networking = client.NetworkingV1Api(self.api)
        self.authorization = client.AuthorizationV1Api(self.api)
        self.version = client.VersionApi(self.api)

    @property
    def host(self) -> str:
        return str(self.api.configuration.host)

    @property
    def bound(self) -> dict[str, Any]:
        """Keyword arguments that bound a call: connect and read timeouts."""
        return {"_request_timeout": (self.timeout, self.timeout)}

    def bound_within(self, seconds: float) -> dict[str, Any]:
        """As :attr:`bound`, but no longer than ``seconds`` (what is left of a budget)."""
        timeout = max(0.1, min(self.timeout, seconds))
        return {"_request_timeout": (timeout, timeout)}

    def credentials(self) -> list[str]:
        """The secrets the client authenticates with (a bearer token, a password, the
        client key), for the redactor: a kubeconfig's credentials are the run's secrets."""
        configuration = self.api.configuration
        found = [str(value).split(" ", 1)[-1] for value in (configuration.api_key or {}).values()]
        found += basic_credentials(configuration.username, configuration.password)
        if configuration.key_file and Path(configuration.key_file).is_file():
            # The kubernetes client writes inline client-key-data to a temporary file.
            found.append(Path(configuration.key_file).read_text(errors="replace").strip())
        return [value for value in found if value]

    def close(self) -> None:
        self.api.close()


def connect(context: str | None, timeout: float = REQUEST_TIMEOUT) -> Kube:
    """An API client for the kubeconfig's context (or the pod's service account when running
    inside a cluster without a kubeconfig). Raises KubeUnreachable when none can be built."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    path = kubeconfig_path()
    where = f"kubeconfig {path}, context {context or '(current)'}"
    try:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not Path(path).exists():
            config.load_incluster_config()
            where = "in-cluster service account"
            api = client.ApiClient()
        else:
            api = config.new_client_from_config(config_file=path, context=context)
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KubeUnreachable(f"{where}: {reason}") from None
    api.configuration.retries = 0  # urllib3 retries would hide a dead server for minutes
    return Kube(api, where, timeout)


def server_version(kube: Kube) -> str:
    """The API server's git version; KubeUnreachable with one line when it does not answer."""
    try:
        info = kube.version.get_code(**kube.bound)
    except Exception as exc:  # noqa: BLE001 - urllib3/SSL/API errors all mean "unreachable"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise KubeUnreachable(f"{kube.where} ({kube.host}): {reason}") from None
    return str(info.git_version)


def read_log(kube: Kube, namespace: str, pod: str, container: str, *, tail_lines: int,
             limit_bytes: int, seconds: float) -> bytes:
    """A container's log as the kubelet keeps it (bytes, undecoded): its last ``tail_lines``
    lines, of which at most the first ``limit_bytes`` — also held to that here, should a
    server ignore limitBytes."""
    answer: Any = kube.core.read_namespaced_pod_log(  # unread: a urllib3 response
        pod, namespace, container=container, tail_lines=tail_lines, limit_bytes=limit_bytes,
        _preload_content=False, **kube.bound_within(seconds))
    chunks: list[bytes] = []
    left = limit_bytes
    try:
        while left > 0:  # a chunked answer may come in pieces smaller than asked
            chunk = answer.read(min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        answer.release_conn()
    return b"".join(chunks)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a kubernetes ApiException (None for transport errors)."""
    status = getattr(exc, "status", None)
    return int(status) if isinstance(status, int) else None
