"""Discovery: read the platform's objects through the API and describe the deployment.

`collect` is the only part that talks to the cluster; everything after it is pure over the
objects as the API returns them (dicts), so a bundle of them can be re-judged offline. Secret
values are read only where the harness must know them (the settings injected into jobs, so
that the redactor knows every one); of the Secrets the server references only key names are
kept.
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from ..deployment import Deployment
from ..redact import is_secret_key
from .kube import Kube, status_of

SERVER_FLAGS = ("--backend-store-uri", "--default-artifact-root", "--artifacts-destination",
                "--allowed-hosts", "--host", "--port", "--workers", "--app-name")
SWITCHES = ("--serve-artifacts", "--no-serve-artifacts", "--artifacts-only")
# MLflow's environment equivalents of its server flags.
ENV_FLAGS = {"MLFLOW_BACKEND_STORE_URI": "--backend-store-uri",
             "MLFLOW_DEFAULT_ARTIFACT_ROOT": "--default-artifact-root",
             "MLFLOW_ARTIFACTS_DESTINATION": "--artifacts-destination",
             "MLFLOW_SERVER_ALLOWED_HOSTS": "--allowed-hosts"}


@dataclass
class Discovered:
    """What the API showed. Missing objects are None; what could not be read is in `denied`
    (resource → reason), never guessed."""

    namespace: str
    deployment: dict[str, Any] | None = None
    service: dict[str, Any] | None = None
    endpoints: dict[str, Any] | None = None
    # Secrets the server's pod template references: name → key names (None: missing).
    server_secrets: dict[str, list[str] | None] = field(default_factory=dict)
    # Per job namespace, per "kind/name": the settings (None: the object is missing).
    job_settings: dict[str, dict[str, dict[str, str] | None]] = field(default_factory=dict)
    network_policies: list[dict[str, Any]] = field(default_factory=list)
    ingresses: list[dict[str, Any]] = field(default_factory=list)
    denied: dict[str, str] = field(default_factory=dict)

    def secret_values(self) -> list[str]:
        values = []
        for per_namespace in self.job_settings.values():
            for ref, data in per_namespace.items():
                for key, value in (data or {}).items():
                    if ref.startswith("secret/") or is_secret_key(key):
                        values.append(value)
        return [v for v in values if v]


def _read(kube: Kube, found: Discovered, what: str, call: Any, *args: Any) -> Any:
    """One bounded read: None when the object does not exist; a refusal noted in `denied`.
    Transport errors propagate: an API server that stops answering is not 'missing'."""
    try:
        obj = call(*args, **kube.bound)
    except Exception as exc:
        status = status_of(exc)
        if status == 404:
            return None
        if status in (401, 403):
            found.denied[what] = f"HTTP {status}: {getattr(exc, 'reason', '')}".strip()
            return None
        raise
    return kube.api.sanitize_for_serialization(obj)


def _decode(secret: Mapping[str, Any]) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode("utf-8", "replace")
            for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def referenced_secrets(deployment: Mapping[str, Any] | None) -> dict[str, set[str]]:
    """Secret name → keys the server's pod template takes from it (envFrom: every key, {})."""
    refs: dict[str, set[str]] = {}
    spec = ((deployment or {}).get("spec") or {}).get("template", {}).get("spec") or {}
    for container in spec.get("containers") or []:
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                refs.setdefault(ref["name"], set()).add(ref["key"])
        for source in container.get("envFrom") or []:
            if source.get("secretRef"):
                refs.setdefault(source["secretRef"]["name"], set())
    for volume in spec.get("volumes") or []:
        if volume.get("secret"):
            items = {i["key"] for i in volume["secret"].get("items") or []}
            refs.setdefault(volume["secret"]["secretName"], set()).update(items)
    return refs


def collect(kube: Kube, namespace: str, deployment_name: str, service_name: str,
            job_namespaces: Iterable[str], job_refs: Iterable[tuple[str, str]]) -> Discovered:
    found = Discovered(namespace)
    core, apps, net = kube.core, kube.apps, kube.networking
    found.deployment = _read(kube, found, "deployments", apps.read_namespaced_deployment,
                             deployment_name, namespace)
    found.service = _read(kube, found, "services", core.read_namespaced_service, service_name,
                          namespace)
    found.endpoints = _read(kube, found, "endpoints", core.read_namespaced_endpoints,
                            service_name, namespace)
    for name in referenced_secrets(found.deployment):
        secret = _read(kube, found, "secrets", core.read_namespaced_secret, name, namespace)
        found.server_secrets[name] = None if secret is None else sorted(_decode(secret))
    for job_namespace in job_namespaces:
        settings: dict[str, dict[str, str] | None] = {}
        for kind, name in job_refs:
            if kind == "secret":
                obj = _read(kube, found, "secrets", core.read_namespaced_secret, name,
                            job_namespace)
                settings[f"secret/{name}"] = None if obj is None else _decode(obj)
            else:
                obj = _read(kube, found, "configmaps", core.read_namespaced_config_map, name,
                            job_namespace)
                settings[f"configmap/{name}"] = None if obj is None else dict(
                    obj.get("data") or {})
        found.job_settings[job_namespace] = settings
    policies = _read(kube, found, "networkpolicies", net.list_namespaced_network_policy,
                     namespace)
    found.network_policies = list((policies or {}).get("items") or [])
    ingresses = _read(kube, found, "ingresses", net.list_namespaced_ingress, namespace)
    found.ingresses = list((ingresses or {}).get("items") or [])
    return found


# -- pure: the server's configuration ---------------------------------------------------------

def _words(container: Mapping[str, Any]) -> list[str]:
    return [*(container.get("command") or []), *(container.get("args") or [])]


def server_container(deployment: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The container that runs `mlflow server` (else the first one)."""
    spec = ((deployment or {}).get("spec") or {}).get("template", {}).get("spec") or {}
    containers = list(spec.get("containers") or [])
    for container in containers:
        words = _words(container)
        if "server" in words and any("mlflow" in w for w in words):
            return dict(container)
    return dict(containers[0]) if containers else None


def server_settings(container: Mapping[str, Any] | None) -> dict[str, Any]:
    """The server's flags as given (command, args, a `sh -c` line, MLflow's env variables);
    values taken from Secrets are shown as their reference, never read."""
    if not container:
        return {}
    words = _words(container)
    if len(words) >= 3 and words[1] == "-c" and words[0].endswith("sh"):
        words = shlex.split(words[2])
    flags: dict[str, Any] = {}
    for env in container.get("env") or []:
        flag = ENV_FLAGS.get(env.get("name", ""))
        if flag:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            flags[flag] = (f"(secret {ref['name']}/{ref['key']})" if ref
                           else env.get("value"))
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name in SERVER_FLAGS:
            flags[name] = value if equals else (words[index + 1]
                                                 if index + 1 < len(words) else None)
        elif word in SWITCHES:
            flags[word] = True
    return flags


def _bucket(location: str | None) -> str | None:
    parsed = urlparse(location or "")
    return parsed.netloc or None if parsed.scheme in ("s3", "s3a") else None


def job_environment(found: Discovered, namespace: str) -> tuple[dict[str, str], dict[str, str]]:
    """What a job in `namespace` gets: (environment, Spark settings), later objects winning."""
    env: dict[str, str] = {}
    conf: dict[str, str] = {}
    for data in (found.job_settings.get(namespace) or {}).values():
        for key, value in (data or {}).items():
            (conf if key.startswith("spark.") else env)[key] = value
    return env, conf


def describe(found: Discovered, job_namespace: str, service_name: str,
             environ: Mapping[str, str], tls: Mapping[str, Any] | None = None) -> Deployment:
    """The deployment description the suites read, as a job in `job_namespace` sees it;
    ``tls``: the TLS fields from the options (targets.tls_fields), which probe pods get."""
    flags = server_settings(server_container(found.deployment))
    env, conf = job_environment(found, job_namespace)
    destination = flags.get("--artifacts-destination")
    default_root = flags.get("--default-artifact-root")
    serving = not flags.get("--no-serve-artifacts")
    artifact_root = default_root or ("mlflow-artifacts:/" if serving else None)
    tracking_uri = env.get("MLFLOW_TRACKING_URI") or f"http://{service_name}:5000"
    s3_endpoint = env.get("MLFLOW_S3_ENDPOINT_URL") or conf.get("spark.hadoop.fs.s3a.endpoint")
    bucket = _bucket(destination) or _bucket(default_root) or env.get("MLFLOW_S3_BUCKET")
    return Deployment(
        kind="cluster", tracking_uri=tracking_uri, artifact_root=artifact_root,
        s3_endpoint=s3_endpoint, bucket=bucket,
        # Probe pods use the credentials the platform injected (the pod's environment), as
        # a job does: the harness declares none of its own.
        tracking_username=environ.get("MLFLOW_TRACKING_USERNAME"),
        tracking_password=environ.get("MLFLOW_TRACKING_PASSWORD"),
        tracking_token=environ.get("MLFLOW_TRACKING_TOKEN"),
        job_env=env, spark_conf=conf, **(tls or {}))


def public(found: Discovered) -> dict[str, Any]:
    """A JSON-ready summary for the report: names, shapes and flags; no secret value."""
    flags = server_settings(server_container(found.deployment))
    backend = flags.get("--backend-store-uri")
    if isinstance(backend, str) and not backend.startswith("(secret"):
        flags["--backend-store-uri"] = re.sub(r"//[^@/]*@", "//***@", backend)
    return {
        "namespace": found.namespace,
        "deployment": (found.deployment or {}).get("metadata", {}).get("name"),
        "server_flags": flags,
        "service": (found.service or {}).get("metadata", {}).get("name"),
        "server_secrets": found.server_secrets,
        "job_settings": {ns: {ref: None if data is None else sorted(data)
                              for ref, data in per.items()}
                         for ns, per in found.job_settings.items()},
        "network_policies": [p["metadata"]["name"] for p in found.network_policies],
        "ingresses": [i["metadata"]["name"] for i in found.ingresses],
        "denied": dict(found.denied),
    }
