"""`pytest --cluster --collect` end to end against the cluster doubles: the bundle holds the
platform's objects (Deployment, Service, Endpoints, NetworkPolicies, Ingress), the recent
Events, the tracking server's pod's log and each probe pod's log as the harness read it,
each listed in the manifest with its size and sha256; secrets planted in the Deployment, in a
Secret of the namespace and in the server's log reach no byte of it; a read the identity may
not do is left out, naming the permission."""

from __future__ import annotations

import base64
import gzip
import json
import secrets
import time
from typing import Any

import pytest

from mlflow_conformance.redact import MASK
from tests.cluster_double import running_cluster
from tests.kube.platform import NAMESPACE, Platform
from tests.test_bundle_cli import assert_manifest_matches, unpacked

SERVER_POD = "ilum-mlflow-5d8f7c9b4-x2kq7"  # as the Deployment's ReplicaSet would name it
SERVER_LABELS = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "ilum"}
OBJECTS = {"cluster/deployment.json", "cluster/service.json", "cluster/endpoints.json",
           "cluster/networkpolicies.json", "cluster/ingress.json", "cluster/events.json",
           "cluster/platform.json"}


class PlantedPlatform(Platform):
    """The healthy platform, plus what must never reach the bundle: a literal password in the
    Deployment's environment, a Secret the server does not use, and a running server pod
    whose log prints the password and a pattern-only secret."""

    def __init__(self, stack: Any, planted: dict[str, str]) -> None:
        super().__init__(stack)
        self.planted = planted
        self.extra = [
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": "ilum-mlflow-unrelated", "namespace": NAMESPACE},
             "data": {"token": base64.b64encode(planted["secret"].encode()).decode()}},
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": SERVER_POD, "namespace": NAMESPACE, "labels": SERVER_LABELS},
             "spec": {"restartPolicy": "Never", "containers": [{
                 "name": "mlflow", "image": "busybox:1.36", "command": ["sh", "-c", (
                     "echo 'INFO mlflow.server: listening on 0.0.0.0:5000'; "
                     f"echo 'connecting as {planted['literal']}'; "
                     f"echo 'db_password={planted['pattern']}'; exec sleep 120")]}]}}]

    def _deployment(self, ns: str) -> dict[str, Any]:
        deployment = super()._deployment(ns)
        deployment["spec"]["template"]["spec"]["containers"][0]["env"].append(
            {"name": "MLFLOW_TRACKING_PASSWORD", "value": self.planted["literal"]})
        return deployment


@pytest.fixture
def planted():
    return {name: f"planted{name.title()}{secrets.token_hex(8)}"
            for name in ("literal", "secret", "pattern")}


def server_log_started(cluster) -> None:
    """The server pod is running and has written its lines (the node double is quick, but
    the run must not race it)."""
    deadline = time.monotonic() + 30
    core = cluster.client()
    while time.monotonic() < deadline:
        pod = core.read_namespaced_pod(SERVER_POD, NAMESPACE)
        if pod.status.phase == "Running" and "db_password" in core.read_namespaced_pod_log(
                SERVER_POD, NAMESPACE):
            return
        time.sleep(0.2)
    raise AssertionError("the server pod did not start")


def test_a_cluster_run_bundles_objects_events_and_logs_without_a_secret(tmp_path, stack,
                                                                       planted):
    with running_cluster(tmp_path) as cluster:
        platform = PlantedPlatform(stack, planted)
        cluster.install(platform)
        server_log_started(cluster)
        run = cluster.run(platform, "suites/test_connectivity.py",
                          "suites/test_compatibility.py", "--collect")
        assert cluster.leftovers() == []
    bundle = run.report / "bundle.tar.gz"
    assert bundle.exists(), run.done.stdout[-4000:] + run.done.stderr[-4000:]
    manifest = assert_manifest_matches(bundle)  # every file listed, size and sha256 match
    paths = {f["path"] for f in manifest["files"]}
    assert paths >= OBJECTS | {f"logs/tracking-server-{SERVER_POD}.log",
                               "server/capabilities.json"}, manifest["omitted"]
    probe_logs = sorted(p for p in paths if p.startswith("logs/probe-"))
    # connectivity from the job namespace, versions from a driver and an executor pod
    assert len(probe_logs) == 3, probe_logs
    assert [o for o in manifest["omitted"] if o["path"].startswith(("cluster/", "logs/"))] == []
    members = unpacked(bundle)

    every_byte = gzip.decompress(bundle.read_bytes())
    for name, secret in planted.items():
        assert secret.encode() not in every_byte, name
    # The Deployment as the API has it: values from Secrets stay references, the literal
    # password is masked (the redactor learned it), the rest is evidence.
    deployment = json.loads(members["cluster/deployment.json"])
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MLFLOW_BACKEND_STORE_URI"] == {"name": "MLFLOW_BACKEND_STORE_URI", "valueFrom": {
        "secretKeyRef": {"name": "ilum-mlflow-db", "key": "uri"}}}
    assert env["MLFLOW_TRACKING_PASSWORD"]["value"] == MASK
    assert env["MLFLOW_S3_ENDPOINT_URL"]["value"] == "http://ilum-minio:9000"
    assert "managedFields" not in deployment["metadata"]
    assert json.loads(members["cluster/service.json"])["spec"]["ports"][0]["port"] == 5000
    assert json.loads(members["cluster/endpoints.json"])["subsets"][0]["addresses"]
    assert [i["metadata"]["name"] for i in json.loads(members["cluster/ingress.json"])] == [
        "ilum-mlflow"]
    policies = json.loads(members["cluster/networkpolicies.json"])
    assert [p["metadata"]["name"] for p in policies[NAMESPACE]] == ["ilum-mlflow-tracking"]
    assert set(policies) == {NAMESPACE, "default"}  # the platform's, job and outsider's
    # The probe pods' Events are in: the snapshot is taken after they are deleted.
    events = json.loads(members["cluster/events.json"])[NAMESPACE]
    involved = {e["involvedObject"]["name"] for e in events}
    assert {p.removeprefix("logs/probe-").removesuffix(".log") for p in probe_logs} <= involved
    assert "Scheduled" in {e["reason"] for e in events}

    server_log = members[f"logs/tracking-server-{SERVER_POD}.log"].decode()
    assert server_log.splitlines() == ["INFO mlflow.server: listening on 0.0.0.0:5000",
                                       f"connecting as {MASK}", f"db_password={MASK}"]
    redaction = json.loads(members["redaction.json"])
    counted = {(e["file"], e["rule"]) for e in redaction}
    assert {(f"logs/tracking-server-{SERVER_POD}.log", "known-secret"),
            (f"logs/tracking-server-{SERVER_POD}.log", "named-secret"),
            ("cluster/deployment.json", "known-secret")} <= counted
    # Each probe pod's log is what the harness read for its result: its JSON line.
    for path in probe_logs:
        last = members[path].decode().strip().splitlines()[-1]
        assert isinstance(json.loads(last), dict), path
    sources = {f["path"]: f["source"] for f in manifest["files"]}
    assert sources[probe_logs[0]].startswith(f"probe pod {NAMESPACE}/")
    capabilities = json.loads(members["server/capabilities.json"])
    assert capabilities["logged_models_api"]["supported"] is True
    assert capabilities["rest_api_json"]["checks"] == {"NET-005": {"outcome": "pass",
                                                                   "code": "ok"}}


def test_a_read_the_identity_may_not_do_is_left_out_naming_the_permission(tmp_path, stack):
    reader = [{"verbs": ["get", "list"], "apiGroups": ["", "apps", "networking.k8s.io"],
               "resources": ["deployments", "services", "endpoints", "secrets", "configmaps",
                             "networkpolicies", "ingresses", "namespaces", "pods"]}]
    with running_cluster(tmp_path) as cluster:
        platform = Platform(stack)
        cluster.install(platform)
        cluster.api.add_user("no-events-token", "support-engineer", reader)
        kubeconfig = cluster.api.kubeconfig(cluster.folder / "reader-kubeconfig",
                                            token="no-events-token")
        run = cluster.run(platform, "suites/test_platform.py", "-k", "deployment",
                          "--collect", kubeconfig=kubeconfig)
    assert run.verdicts("PLT-001")["PLT-001"] == ("pass", "ok")  # the bundle changes nothing
    manifest = assert_manifest_matches(run.report / "bundle.tar.gz")
    reasons = [(o["path"], o["reason"]) for o in manifest["omitted"]]
    assert ("cluster/events.json", "events of ilum: permission missing: list events in ilum "
            "(HTTP 403); apply the Role from `python -m mlflow_conformance rbac`") in reasons
    assert [r for p, r in reasons if p == "cluster/events.json" and "in default" in r]
    # No pod matches the Deployment here (no controller made one): said, not guessed.
    assert ("logs/tracking-server-*.log",
            "no pod in ilum matches app.kubernetes.io/instance=ilum,app.kubernetes.io/name="
            "mlflow") in reasons
    paths = {f["path"] for f in manifest["files"]}
    assert {"cluster/deployment.json", "cluster/networkpolicies.json"} <= paths
    assert "cluster/events.json" not in paths
