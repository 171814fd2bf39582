"""Every object the cluster target creates, as pure functions of the run and the settings.

The probe code travels in a ConfigMap (the probes are standard library plus what the
platform's image holds), each probe's inputs in a Secret (they may carry credentials), with
the files they name (CA bundles, a client certificate) beside them in it, and the
probe pod looks like the platform's Spark driver or executor: its image, ServiceAccount,
labels and injected settings. Everything carries the run id label, so the run's own cleanup
and `sweep` find it on any cluster.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RUN_LABEL = "mlflow-conformance/run-id"
MANAGED_BY = {"app.kubernetes.io/managed-by": "mlflow-conformance"}
PROBE_DIR = "/opt/mlflow-conformance/probes"
INPUT_DIR = "/opt/mlflow-conformance/input"
# The probe code a pod gets, by file name: the probes and what they import (stdlib only).
_PACKAGE = Path(__file__).parent.parent
PROBE_SOURCES = {name: _PACKAGE / "probes" / name for name in (
    "probekit.py", "connectivity.py", "s3.py", "versions.py")} | {
    "environment.py": _PACKAGE / "compat" / "environment.py"}
# Inputs that name a file the probe opens (TLS: the tracking and S3 CA bundles, the client
# certificate with its key): the pod has none of the harness's files, so each travels inside
# the pod's input Secret (pod_inputs).
FILE_INPUTS = ("ca_bundle", "client_cert")
# A pod-private emptyDir (the root file system is read-only), not the host's /tmp.
POD_TMP = "/tmp"  # noqa: S108
# The uid of Spark in the Apache Spark images the platform's image builds on.
SPARK_UID = 185


def run_labels(run_id: str) -> dict[str, str]:
    return {**MANAGED_BY, RUN_LABEL: run_id}


def run_selector(run_id: str) -> str:
    return f"{RUN_LABEL}={run_id}"


def object_name(run_id: str, *parts: str) -> str:
    """A DNS-1123 name holding the run id (names are at most 63 characters)."""
    text = "-".join(("mc", run_id, *parts)).lower()
    return re.sub(r"[^a-z0-9-]", "-", text)[:63].rstrip("-")


def probe_code(run_id: str, namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {**run_labels(run_id), "app.kubernetes.io/component": "probe"}},
        "data": {name: path.read_text() for name, path in PROBE_SOURCES.items()},
    }


def pod_inputs(inputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The inputs as a pod reads them, and the files they name. An input naming a local file
    (FILE_INPUTS, at any depth: the s3 probe's checks) is replaced by where the pod finds
    the file's content: beside input.json in the input Secret's volume. The same content is
    shipped once. A file the harness cannot read keeps its path, for the probe to name."""
    files: dict[str, str] = {}

    def visit(value: Any, key: str = "") -> Any:
        if isinstance(value, Mapping):
            return {k: visit(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(v, key) for v in value]
        if key not in FILE_INPUTS or not isinstance(value, str) or not value:
            return value
        try:
            content = Path(value).read_text()
        except (OSError, UnicodeDecodeError):
            return value
        name = f"{key.replace('_', '-')}-{hashlib.sha256(content.encode()).hexdigest()[:12]}.pem"
        files[name] = content
        return f"{INPUT_DIR}/{name}"

    return visit(inputs), files


def probe_input(run_id: str, namespace: str, pod: str, inputs: Mapping[str, Any]
                ) -> dict[str, Any]:
    given, files = pod_inputs(inputs)
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": pod, "namespace": namespace,
                     "labels": {**run_labels(run_id), "app.kubernetes.io/component": "probe"}},
        # A Secret, not the ConfigMap: a client certificate's file holds its key.
        "stringData": {"input.json": json.dumps(given), **files},
    }


def _settings_sources(refs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    # Not optional: a settings object the platform should have made and did not is itself a
    # finding (the pod fails to start with CreateContainerConfigError naming it).
    return [{"configMapRef": {"name": name}} if kind == "configmap"
            else {"secretRef": {"name": name}} for kind, name in refs]


def probe_pod(run_id: str, namespace: str, name: str, probe: str, role: str, *,
              image: str, service_account: str, settings: Iterable[tuple[str, str]],
              code: str, deadline: int) -> dict[str, Any]:
    """A pod that runs one probe as a Spark `role` (driver or executor) would run, with the
    probe code from the ConfigMap `code` and its inputs from the Secret of its own name."""
    labels = {**run_labels(run_id), "app.kubernetes.io/component": "probe",
              # What Spark on Kubernetes labels its pods with: policies that select Spark
              # pods select the probes too.
              "spark-role": role, "mlflow-conformance/probe": probe}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": max(1, int(deadline)),
            "serviceAccountName": service_account,
            "automountServiceAccountToken": False,  # probes never call the Kubernetes API
            "enableServiceLinks": False,  # no *_SERVICE_HOST noise in the probe's environment
            "securityContext": {"runAsNonRoot": True, "runAsUser": SPARK_UID,
                                "runAsGroup": SPARK_UID, "fsGroup": SPARK_UID,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["python3", f"{PROBE_DIR}/{probe}.py", f"{INPUT_DIR}/input.json"],
                "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
                        {"name": "HOME", "value": POD_TMP}],
                "envFrom": _settings_sources(settings),
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                              "limits": {"cpu": "1", "memory": "512Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [
                    {"name": "probes", "mountPath": PROBE_DIR, "readOnly": True},
                    {"name": "input", "mountPath": INPUT_DIR, "readOnly": True},
                    {"name": "tmp", "mountPath": POD_TMP},
                ],
            }],
            "volumes": [
                {"name": "probes", "configMap": {"name": code}},
                {"name": "input", "secret": {"secretName": name, "defaultMode": 0o440}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            ],
        },
    }
