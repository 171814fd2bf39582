"""The objects the platform's Helm chart creates with mlflow.enabled=true (P1–P3, P5.1, P9 of
shared/platform/ILUM-MLFLOW.md), written from the platform page, pointing at the embedded
stack's real servers.

The chart's MLflow server runs as the stack's `mlflow server` process; the Deployment here
describes it (image, flags, Secrets) and its status says one replica is available, and the
Endpoints of the Services point at the stack's real ports — what the Deployment and endpoints
controllers would have made. Jobs get what the platform injects through a ConfigMap (endpoints)
and a Secret (credentials) in each job namespace, as the harness's defaults expect.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from mlflow_conformance.stack.lifecycle import StackState
from mlflow_conformance.stack.mlflow_server import artifact_destination
from mlflow_conformance.stack.seaweed import BUCKET

NAMESPACE = "ilum"
MLFLOW_IMAGE = "ghcr.io/mlflow/mlflow:v3.5.0"
S3_SERVICE = "ilum-minio"
PLATFORM_LABEL = {"ilum.cloud/platform": "true"}


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _port(url: str) -> int:
    return int(urlparse(url).port or 80)


@dataclass
class Platform:
    """Knobs the fault tests turn; the defaults are the healthy platform."""

    stack: StackState
    namespace: str = NAMESPACE
    job_namespaces: tuple[str, ...] = (NAMESPACE,)
    driver_identity: str = "admin"  # the stack's S3 identity injected into jobs
    executor_identity: str | None = None  # executors' own settings, where they differ
    drop_job_keys: tuple[str, ...] = ()  # keys missing from the job credentials Secret
    service_type: str = "ClusterIP"
    ports_only_policy: bool = False  # the common mistake: a rule that limits ports, not peers
    extra: list[dict[str, Any]] = field(default_factory=list)

    def identity(self, name: str) -> Any:
        return next(i for i in self.stack.identities if i.name == name)

    # -- the chart's objects ---------------------------------------------------------------
    def objects(self) -> list[dict[str, Any]]:
        ns = self.namespace
        admin = self.identity("admin")
        found: list[dict[str, Any]] = [self._namespace(ns)]
        found += [self._namespace(j) for j in self.job_namespaces if j != ns]
        found += [
            self._secret(ns, "ilum-mlflow-db", {"uri": self.stack.backend_uri}),
            self._secret(ns, "ilum-mlflow-s3", {"AWS_ACCESS_KEY_ID": admin.access_key,
                                                "AWS_SECRET_ACCESS_KEY": admin.secret_key}),
            self._deployment(ns),
            *self._service(ns, "ilum-mlflow-tracking", 5000, self.stack.tracking_port,
                           {"app.kubernetes.io/name": "mlflow"}, self.service_type),
            *self._service(ns, S3_SERVICE, 9000, _port(self.stack.s3_endpoint),
                           {"app.kubernetes.io/name": "minio"}),
            self._network_policy(ns),
            self._ingress(ns),
        ]
        for job_ns in self.job_namespaces:
            found += self._job_settings(job_ns, "ilum-mlflow-job", self.driver_identity,
                                        self.drop_job_keys)
            found.append(self._service_account(job_ns, "ilum-spark"))
            if self.executor_identity:
                found += self._job_settings(job_ns, "ilum-mlflow-executor",
                                            self.executor_identity, ())
        return found + self.extra

    def _namespace(self, name: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": dict(PLATFORM_LABEL)}}

    def _secret(self, ns: str, name: str, data: dict[str, str]) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": name, "namespace": ns},
                "data": {k: _b64(v) for k, v in data.items()}}

    def _deployment(self, ns: str) -> dict[str, Any]:
        labels = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "ilum"}
        return {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "ilum-mlflow", "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 1, "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                    "name": "mlflow", "image": MLFLOW_IMAGE,
                    "command": ["mlflow", "server"],
                    "args": ["--host", "0.0.0.0", "--port", "5000", "--serve-artifacts",
                             "--artifacts-destination", artifact_destination(BUCKET),
                             "--allowed-hosts", "ilum-mlflow-tracking:5000,"
                             "ilum-mlflow-tracking.*:5000"],
                    "ports": [{"name": "http", "containerPort": 5000}],
                    "env": [
                        {"name": "MLFLOW_BACKEND_STORE_URI", "valueFrom": {"secretKeyRef": {
                            "name": "ilum-mlflow-db", "key": "uri"}}},
                        {"name": "MLFLOW_S3_ENDPOINT_URL",
                         "value": f"http://{S3_SERVICE}:9000"},
                        *({"name": key, "valueFrom": {"secretKeyRef": {
                            "name": "ilum-mlflow-s3", "key": key}}}
                          for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
                    ],
                }]}},
            },
            "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                       "updatedReplicas": 1, "observedGeneration": 1},
        }

    def _service(self, ns: str, name: str, port: int, backend_port: int,
                 selector: dict[str, str], kind: str = "ClusterIP") -> list[dict[str, Any]]:
        service = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": name, "namespace": ns},
                   "spec": {"type": kind, "selector": selector,
                            "ports": [{"name": "http", "port": port, "protocol": "TCP",
                                       "targetPort": port}]}}
        # What the endpoints controller would write for the backing pod — here the stack's
        # real process on loopback, which listens on its own port rather than targetPort.
        endpoints = {"apiVersion": "v1", "kind": "Endpoints",
                     "metadata": {"name": name, "namespace": ns},
                     "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                                  "ports": [{"name": "http", "port": backend_port,
                                             "protocol": "TCP"}]}]}
        return [service, endpoints]

    def _job_settings(self, ns: str, prefix: str, identity_name: str,
                      dropped: tuple[str, ...]) -> list[dict[str, Any]]:
        identity = self.identity(identity_name)
        s3 = f"http://{S3_SERVICE}.{self.namespace}.svc.cluster.local:9000"
        env = {"MLFLOW_TRACKING_URI": "http://ilum-mlflow-tracking:5000",  # P5.1, as given
               "MLFLOW_S3_ENDPOINT_URL": s3, "AWS_DEFAULT_REGION": "us-east-1",
               "spark.hadoop.fs.s3a.endpoint": s3,
               "spark.hadoop.fs.s3a.path.style.access": "true"}
        credentials = {"AWS_ACCESS_KEY_ID": identity.access_key,
                       "AWS_SECRET_ACCESS_KEY": identity.secret_key,
                       "spark.hadoop.fs.s3a.access.key": identity.access_key,
                       "spark.hadoop.fs.s3a.secret.key": identity.secret_key}
        credentials = {k: v for k, v in credentials.items() if k not in dropped}
        return [{"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": f"{prefix}-env", "namespace": ns}, "data": env},
                self._secret(ns, f"{prefix}-credentials", credentials)]

    def _service_account(self, ns: str, name: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": name, "namespace": ns}}

    def _network_policy(self, ns: str) -> dict[str, Any]:
        # P9.2: only pods in the platform's namespaces reach the tracking service.
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "ilum-mlflow-tracking", "namespace": ns},
                "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "mlflow"}},
                         "policyTypes": ["Ingress"],
                         "ingress": [{**({} if self.ports_only_policy else {
                             "from": [{"namespaceSelector": {
                                 "matchLabels": dict(PLATFORM_LABEL)}}]}),
                             "ports": [{"port": 5000, "protocol": "TCP"}]}]}}

    def _ingress(self, ns: str) -> dict[str, Any]:
        # P9.3: the UI and API behind the platform's authenticating gateway.
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": "ilum-mlflow", "namespace": ns, "annotations": {
                    "nginx.ingress.kubernetes.io/auth-url":
                        "http://ilum-core.ilum.svc.cluster.local:9888/api/v1/auth"}},
                "spec": {"rules": [{"host": "mlflow.ilum.local", "http": {"paths": [{
                    "path": "/", "pathType": "Prefix", "backend": {"service": {
                        "name": "ilum-mlflow-tracking", "port": {"number": 5000}}}}]}}]}}

    # -- how the harness is pointed at it --------------------------------------------------
    def harness_args(self) -> list[str]:
        args = ["--cluster", f"--namespace={self.namespace}",
                f"--job-namespaces={','.join(self.job_namespaces)}",
                "--job-settings=configmap/ilum-mlflow-job-env,"
                "secret/ilum-mlflow-job-credentials"]
        if self.executor_identity:
            args.append("--executor-job-settings=configmap/ilum-mlflow-executor-env,"
                        "secret/ilum-mlflow-executor-credentials")
        return args
