"""The node double end to end against the API server double: pods created through the official
client as a user would, run as local processes, seen through pods/status, pods/log, Events."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.kube import node as node_module
from tests.kube.apiserver import ApiServer
from tests.kube.node import NodeDouble, Runtime
from tests.kube.node_config import expand
from tests.kube.node_pods import normalize_image
from tests.kube.pki import CertificateAuthority

IMAGE = "ilum/spark:3.5.3-mlflow"


T = TypeVar("T")


def model(cls: type[T], body: dict) -> T:
    """The client's model for a manifest, as a user's code builds it from YAML."""
    built = cls.from_dict(body)  # type: ignore[attr-defined]
    assert built is not None
    return built


def wait_for(what: Callable[[], Any], timeout: float = 15.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message or what}")
        time.sleep(0.1)


class Cluster:
    """A node double on an API server double, and the client a user of the cluster has."""

    def __init__(self, node: NodeDouble, core: client.CoreV1Api) -> None:
        self.node, self.core = node, core

    def namespace(self) -> str:
        name = f"t-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace(model(client.V1Namespace, {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
        return name

    def pod(self, namespace: str, name: str, script: str, **spec: Any) -> None:
        """A pod running `python3 -c script`; `container` entries amend its container."""
        container = {"name": "main", "image": IMAGE, "command": ["python3", "-c", script]}
        container.update(spec.pop("container", {}))
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"restartPolicy": "Never", "containers": [container], **spec}}
        self.core.create_namespaced_pod(namespace, model(client.V1Pod, body))

    def read(self, namespace: str, name: str) -> dict:
        pod = self.core.read_namespaced_pod(name, namespace)
        return client.ApiClient().sanitize_for_serialization(pod)

    def read_service(self, namespace: str, name: str) -> dict:
        service = self.core.read_namespaced_service(name, namespace)
        return client.ApiClient().sanitize_for_serialization(service)

    def phase(self, namespace: str, name: str, *phases: str, timeout: float = 15.0) -> dict:
        def reached() -> dict | None:
            pod = self.read(namespace, name)
            return pod if pod.get("status", {}).get("phase") in phases else None

        return wait_for(reached, timeout, f"{namespace}/{name} in {phases}")

    def waiting(self, namespace: str, name: str, reason: str) -> dict:
        def seen() -> dict | None:
            for status in self.read(namespace, name).get("status", {}).get(
                    "containerStatuses") or []:
                waiting = status.get("state", {}).get("waiting") or {}
                if waiting.get("reason") == reason:
                    return waiting
            return None

        return wait_for(seen, 10.0, f"{namespace}/{name} waiting {reason}")


def _core(kubeconfig: Path) -> client.CoreV1Api:
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    return client.CoreV1Api(client.ApiClient(cfg))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    ca = CertificateAuthority(folder / "kubelet-ca")
    with ApiServer(folder / "api", kubelet_ca_file=ca.ca_file) as api:
        kubeconfig = api.kubeconfig(folder / "kubeconfig")
        with NodeDouble(kubeconfig, folder / "node", ca, labels={"pool": "spark"}) as node:
            yield Cluster(node, _core(kubeconfig))


@pytest.mark.parametrize(("text", "expanded"), [
    ("$(A)-$(B)", "1-$(B)"),          # an undefined variable stays as written
    ("$$(A) $$ $", "$(A) $ $"),       # `$$` escapes
    ("$(A", "$(A"), ("x$(A)y", "x1y"),
])
def test_variable_expansion_is_kubernetes(text: str, expanded: str) -> None:
    assert expand(text, {"A": "1"}) == expanded


@pytest.mark.parametrize(("image", "normalized"), [
    ("python:3.11", "docker.io/library/python:3.11"),
    ("ilum/spark:3.5.3-mlflow", "docker.io/ilum/spark:3.5.3-mlflow"),
    ("busybox", "docker.io/library/busybox:latest"),
    ("localhost:5000/tool", "localhost:5000/tool:latest"),
    ("ghcr.io/org/tool:1", "ghcr.io/org/tool:1"),
])
def test_image_names_normalize_as_the_runtime_reads_them(image: str, normalized: str) -> None:
    assert normalize_image(image) == normalized


def test_node_registers_ready_with_its_kubelet_endpoint(cluster: Cluster) -> None:
    node = client.ApiClient().sanitize_for_serialization(
        cluster.core.read_node("node-double-1"))
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "node-double-1"
    assert node["metadata"]["labels"]["pool"] == "spark"
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "True"
    port = node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]
    assert cluster.node.kubelet_url == f"https://127.0.0.1:{port}"
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"] == "process-double://1"
    assert node["status"]["allocatable"]["pods"] == "110"


def test_node_heartbeats_refresh_its_ready_condition(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node_module, "HEARTBEAT_EVERY", 0.2)
    with _own_cluster(tmp_path) as cluster:
        def heartbeat() -> str:
            node = client.ApiClient().sanitize_for_serialization(
                cluster.core.read_node("node-own"))
            return next(c["lastHeartbeatTime"] for c in node["status"]["conditions"]
                        if c["type"] == "Ready")

        first = heartbeat()
        assert wait_for(lambda: heartbeat() > first, 5.0, "a newer heartbeat")


def test_kubelet_answers_404_for_an_unknown_container(cluster: Cluster) -> None:
    context = ssl.create_default_context(cafile=str(cluster.node.ca.ca_file))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(  # noqa: S310 - https to the double
            f"{cluster.node.kubelet_url}/containerLogs/default/nope/main", context=context)
    assert caught.value.code == 404


SCRIPT_CONFIG = """
import errno, os, socket
print("secret", os.environ["PASSWORD"])
print("key", os.environ["MODE"])
print("prefixed", os.environ["CM_MODE"], os.environ["S_password"])
print("optional", "MAYBE" in os.environ)
print("pod", os.environ["POD"], os.environ["WHO"])
print("file", open("/etc/node-double-test/conf/app.conf").read().strip())
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
print("namespace", open(sa + "/namespace").read())
print("hosts-ok", "localhost" in open("/etc/hosts").read())
print("hostname", socket.gethostname(), socket.gethostbyname(socket.gethostname()))
try:
    open("/etc/node-double-test/conf/new", "w")
except OSError as exc:
    print("read-only", exc.errno == errno.EROFS)
"""


def test_pod_runs_with_env_and_config_volume_and_logs(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.core.create_namespaced_secret(ns, model(client.V1Secret, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
        "data": {"password": base64.b64encode(b"s3cr3t").decode()}}))
    cluster.core.create_namespaced_config_map(ns, model(client.V1ConfigMap, {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
        "data": {"MODE": "fast", "app.conf": "threads=4"}}))
    env = [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds",
                                                               "key": "password"}}},
           {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings",
                                                              "key": "MODE"}}},
           {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
           {"name": "WHO", "value": "$(POD)-x"},
           {"name": "MAYBE", "valueFrom": {"configMapKeyRef": {
               "name": "settings", "key": "absent", "optional": True}}}]
    cluster.pod(ns, "config", SCRIPT_CONFIG,
                container={"env": env,
                           "envFrom": [{"prefix": "CM_", "configMapRef": {"name": "settings"}},
                                       {"prefix": "S_", "secretRef": {"name": "creds"}}],
                           "volumeMounts": [{"name": "conf", "readOnly": True,
                                             "mountPath": "/etc/node-double-test/conf"}]},
                volumes=[{"name": "conf", "configMap": {"name": "settings",
                                                        "items": [{"key": "app.conf",
                                                                   "path": "app.conf"}]}}])
    pod = cluster.phase(ns, "config", "Succeeded", "Failed")
    logs = cluster.core.read_namespaced_pod_log("config", ns, container="main")
    assert pod["status"]["phase"] == "Succeeded", logs
    assert logs.splitlines() == [
        "secret s3cr3t", "key fast", "prefixed fast s3cr3t", "optional False",
        "pod config config-x",
        "file threads=4", f"namespace {ns}", "hosts-ok True", "hostname config 127.0.0.1",
        "read-only True"]
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    # the mount points were made inside the pod's namespace, never on the host
    assert not Path("/etc/node-double-test").exists()
    assert not Path("/var/run/secrets/kubernetes.io").exists()
    tail = cluster.core.read_namespaced_pod_log("config", ns, tail_lines=1)
    assert tail == "read-only True\n"
    assert cluster.core.read_namespaced_pod_log("config", ns, limit_bytes=6) == "secret"
    assert {"Scheduled", "Pulled", "Created", "Started"} <= _event_reasons(cluster, ns)


def _event_reasons(cluster: Cluster, namespace: str) -> set[str]:
    return {e.reason for e in cluster.core.list_namespaced_event(namespace).items if e.reason}


def test_kubelet_serves_tail_lines_and_limit_bytes(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "counter", "for i in range(5): print(f'line {i}')")
    cluster.phase(ns, "counter", "Succeeded")
    context = ssl.create_default_context(cafile=str(cluster.node.ca.ca_file))

    def get(query: str) -> str:
        url = f"{cluster.node.kubelet_url}/containerLogs/{ns}/counter/main?{query}"
        with urllib.request.urlopen(url, context=context) as answer:  # noqa: S310
            return answer.read().decode()

    assert get("tailLines=2") == "line 3\nline 4\n"
    assert get("limitBytes=8") == "line 0\nl"
    assert get("tailLines=2&limitBytes=3") == "lin"


IN_CLUSTER = """
from kubernetes import client, config
config.load_incluster_config()
try:
    client.CoreV1Api().list_namespaced_pod(open(
        "/var/run/secrets/kubernetes.io/serviceaccount/namespace").read())
except client.ApiException as exc:
    print(exc.status, "system:serviceaccount:" in exc.body)
"""


def test_pod_reaches_the_api_server_with_its_service_account_token(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "incluster", IN_CLUSTER)
    pod = cluster.phase(ns, "incluster", "Succeeded", "Failed")
    logs = cluster.core.read_namespaced_pod_log("incluster", ns)
    assert pod["status"]["phase"] == "Succeeded", logs
    # authenticated as the pod's ServiceAccount (a bound token), which has no RBAC rules
    assert logs.strip() == "403 True"


RETRY = """
import os, sys
marker = "/node-double-scratch/tried"
if not os.path.exists(marker):
    open(marker, "w").close()
    print("first try fails", flush=True)
    sys.exit(1)
print("second try works")
"""


def test_always_restarts_a_container_that_exits(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "again", "print('run')", restartPolicy="Always")

    def restarted() -> dict | None:
        pod = cluster.read(ns, "again")
        statuses = pod.get("status", {}).get("containerStatuses") or [{}]
        return pod if statuses[0].get("restartCount", 0) >= 1 else None

    pod = wait_for(restarted, 10.0, "a restart")
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"] == (
        "Completed")
    cluster.core.delete_namespaced_pod("again", ns)


def test_on_failure_restarts_the_container(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "retry", RETRY, restartPolicy="OnFailure",
                container={"volumeMounts": [{"name": "scratch",
                                             "mountPath": "/node-double-scratch"}]},
                volumes=[{"name": "scratch", "emptyDir": {}}])
    pod = cluster.phase(ns, "retry", "Succeeded", "Failed")
    status = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Succeeded"
    assert status["restartCount"] == 1
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert cluster.core.read_namespaced_pod_log("retry", ns).splitlines() == [
        "first try fails", "second try works"]


WRITER = "open('/node-double-data/greeting', 'w').write('hi from init')"
READER = """
import os, stat
print(open('/node-double-data/greeting').read(), os.getuid(), os.getgid())
mode = os.stat('/opt/node-double/secret/pw').st_mode
print(oct(stat.S_IMODE(mode)), open('/opt/node-double/secret/pw').read())
print(open('/opt/node-double/single').read())
print(os.path.exists('/var/run/secrets/kubernetes.io/serviceaccount'))
"""


def test_init_container_shares_empty_dir_with_the_main_one(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.core.create_namespaced_secret(ns, model(client.V1Secret, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pw"},
        "data": {"pw": base64.b64encode(b"hunter2").decode()}}))
    data = {"name": "data", "mountPath": "/node-double-data"}
    mounts = [data, {"name": "secret", "mountPath": "/opt/node-double/secret"},
              {"name": "secret", "mountPath": "/opt/node-double/single", "subPath": "pw"}]
    cluster.pod(
        ns, "staged", READER, automountServiceAccountToken=False,
        initContainers=[{"name": "stage", "image": IMAGE, "volumeMounts": [data],
                         "command": ["python3", "-c", WRITER]}],
        container={"volumeMounts": mounts,
                   "securityContext": {"runAsUser": 1000, "runAsGroup": 2000}},
        volumes=[{"name": "data", "emptyDir": {}},
                 {"name": "secret", "secret": {"secretName": "pw", "defaultMode": 0o444}}])
    pod = cluster.phase(ns, "staged", "Succeeded", "Failed")
    logs = cluster.core.read_namespaced_pod_log("staged", ns)
    assert pod["status"]["phase"] == "Succeeded", logs
    assert logs.splitlines() == ["hi from init 1000 2000", "0o444 hunter2", "hunter2", "False"]
    init = pod["status"]["initContainerStatuses"][0]
    assert init["state"]["terminated"]["reason"] == "Completed"
    assert not Path("/node-double-data").exists()
    assert not Path("/opt/node-double").exists()


DAEMON = """
import subprocess
print(subprocess.Popen(["sleep", "300"], start_new_session=True).pid)
"""


def test_a_mount_point_under_the_nodes_own_folder_ancestor(cluster: Cluster) -> None:
    """/tmp holds the node's folder (the volume sources): shadowing it must keep them visible."""
    ns = cluster.namespace()
    missing = f"/tmp/node-double-{uuid.uuid4().hex[:8]}/data"
    cluster.pod(ns, "undertmp", f"import os; print(os.listdir({missing!r}))",
                container={"volumeMounts": [{"name": "conf", "mountPath": missing}]},
                volumes=[{"name": "conf", "configMap": {"name": "conf"}}])
    cluster.core.create_namespaced_config_map(ns, model(client.V1ConfigMap, {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf"},
        "data": {"a.txt": "a"}}))
    pod = cluster.phase(ns, "undertmp", "Succeeded", "Failed")
    logs = cluster.core.read_namespaced_pod_log("undertmp", ns)
    assert (pod["status"]["phase"], logs) == ("Succeeded", "['a.txt']\n")
    assert not Path(missing).parent.exists()


SCRATCH = """
import os, uuid
name = f"node-double-{uuid.uuid4().hex}"
open(f"/tmp/{name}", "w").write("private")
open("relative.txt", "w").write("in the working directory")
print(name, ",".join(sorted(os.listdir("/tmp"))), os.getcwd() != "/", os.getuid())
"""


def test_an_empty_dir_over_tmp_hides_the_hosts_tmp(cluster: Cluster) -> None:
    """The node's own folder lives under /tmp: the pod's sources must not need that path."""
    ns = cluster.namespace()
    cluster.pod(ns, "scratch", SCRATCH, securityContext={"runAsUser": 1001},
                container={"volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
                volumes=[{"name": "tmp", "emptyDir": {}}])
    pod = cluster.phase(ns, "scratch", "Succeeded", "Failed")
    logs = cluster.core.read_namespaced_pod_log("scratch", ns)
    assert pod["status"]["phase"] == "Succeeded", logs
    name, listing, *checks = logs.split()
    # Nothing of the host's /tmp is seen, except the image's own files where they live there
    # (the venv of a checkout under /tmp, as in CI: a volume never hides an image).
    image = Path(sys.prefix)
    image_tops = {image.relative_to("/tmp").parts[0]} if image.is_relative_to("/tmp") else set()
    assert set(listing.split(",")) - image_tops == {name}
    assert checks == ["True", "1001"]
    assert not (Path("/tmp") / name).exists()


RESTRICTED = """
import errno, os, sys
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines())
print(os.getuid(), os.getgid(), 185 in os.getgroups(), open("/input/input.json").read())
print(sys.prefix == {prefix!r}, os.path.exists("/root/.node-double-absent"))
print(status["NoNewPrivs"].strip(), int(status["CapBnd"], 16))
for path in ("/scratch/ok", "relative", "/etc/node-double-ro", "/node-double-ro"):
    try:
        open(path, "w").close()
        print(path, "written")
    except OSError as exc:
        print(path, errno.errorcode[exc.errno])
"""


def test_a_restricted_security_context_with_an_fs_group(cluster: Cluster) -> None:
    """The harness's probe pods: non-root, fsGroup, a 0440 Secret volume, no privileges, a
    read-only root filesystem (here with / itself shadowed for the /input mount point)."""
    ns = cluster.namespace()
    cluster.core.create_namespaced_secret(ns, model(client.V1Secret, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "input"},
        "stringData": {"input.json": "{}"}}))
    cluster.pod(
        ns, "restricted", RESTRICTED.format(prefix=sys.prefix),
        securityContext={"runAsNonRoot": True, "runAsUser": 185, "runAsGroup": 185,
                         "fsGroup": 185, "seccompProfile": {"type": "RuntimeDefault"}},
        container={"securityContext": {"allowPrivilegeEscalation": False,
                                       "readOnlyRootFilesystem": True,
                                       "capabilities": {"drop": ["ALL"]}},
                   "volumeMounts": [{"name": "input", "mountPath": "/input", "readOnly": True},
                                    {"name": "scratch", "mountPath": "/scratch"}]},
        volumes=[{"name": "input", "secret": {"secretName": "input", "defaultMode": 0o440}},
                 {"name": "scratch", "emptyDir": {}}])
    pod = cluster.phase(ns, "restricted", "Succeeded", "Failed")
    logs = cluster.core.read_namespaced_pod_log("restricted", ns)
    assert pod["status"]["phase"] == "Succeeded", logs
    assert logs.splitlines() == [
        "185 185 True {}", "True False", "1 0", "/scratch/ok written", "relative EROFS",
        "/etc/node-double-ro EROFS", "/node-double-ro EROFS"]


def test_run_as_non_root_without_a_user_is_refused(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "rooted", "print(1)", securityContext={"runAsNonRoot": True})
    waiting = cluster.waiting(ns, "rooted", "CreateContainerConfigError")
    assert waiting["message"] == "container has runAsNonRoot and image will run as root"


SERVE_LATE = """
import socket, sys, time
time.sleep(1.5)
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
open("/shared/ready", "w").close()
time.sleep(60)
"""


def test_readiness_probes_gate_the_ready_condition(cluster: Cluster) -> None:
    ns = cluster.namespace()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    shared = [{"name": "shared", "mountPath": "/shared"}]
    server = {"name": "server", "image": IMAGE, "volumeMounts": shared,
              "command": ["python3", "-c", SERVE_LATE, str(port)],
              "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1}}
    watcher = {"name": "watcher", "image": IMAGE, "command": ["sleep", "60"],
               "volumeMounts": shared, "readinessProbe": {
                   "exec": {"command": ["test", "-f", "/shared/ready"]}, "periodSeconds": 1}}
    kubelet_port = int(cluster.node.kubelet_url.rsplit(":", 1)[1])
    healthz = {"name": "healthz", "image": IMAGE, "command": ["sleep", "60"],
               "readinessProbe": {"httpGet": {"scheme": "HTTPS", "port": kubelet_port,
                                              "path": "/healthz"}, "periodSeconds": 1}}
    cluster.core.create_namespaced_pod(ns, model(client.V1Pod, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late"},
        "spec": {"containers": [server, watcher, healthz],
                 "volumes": [{"name": "shared", "emptyDir": {}}]}}))

    def ready() -> tuple[str, list[bool]]:
        status = cluster.read(ns, "late").get("status", {})
        condition = next((c["status"] for c in status.get("conditions") or []
                          if c["type"] == "Ready"), "")
        return condition, [c["ready"] for c in status.get("containerStatuses") or []]

    cluster.phase(ns, "late", "Running")
    wait_for(lambda: ready() == ("False", [False, False, True]), 5.0, "the HTTPS probe")
    wait_for(lambda: ready() == ("True", [True, True, True]), 10.0, "every probe to pass")
    cluster.core.delete_namespaced_pod("late", ns)


def test_a_finished_pod_leaves_no_daemon_behind(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "daemon", DAEMON)
    cluster.phase(ns, "daemon", "Succeeded")
    pid = _pid_from_log(cluster, ns, "daemon")
    wait_for(lambda: not _alive(pid), 5.0, "the daemon to be killed")


PLATFORM = "import boto3, mlflow, pyspark; print(mlflow.__version__, pyspark.__version__)"


def test_the_platform_image_has_mlflow_and_pyspark(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "platform", PLATFORM)
    pod = cluster.phase(ns, "platform", "Succeeded", "Failed", timeout=60)
    logs = cluster.core.read_namespaced_pod_log("platform", ns)
    assert pod["status"]["phase"] == "Succeeded", logs
    assert logs.split() == [metadata.version("mlflow"), metadata.version("pyspark")]


def test_exit_code_3_fails_the_pod(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "crash", "import sys; print('bye'); sys.exit(3)")
    pod = cluster.phase(ns, "crash", "Succeeded", "Failed")
    assert pod["status"]["phase"] == "Failed"
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert "bye" in terminated["message"]


def test_unknown_image_is_err_image_pull(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "noimage", "print(1)", container={"image": "nosuch/image:1"})
    waiting = cluster.waiting(ns, "noimage", "ErrImagePull")
    assert 'failed to pull and unpack image "docker.io/nosuch/image:1"' in waiting["message"]
    assert cluster.read(ns, "noimage")["status"]["phase"] == "Pending"


@pytest.mark.parametrize(("source", "message"), [
    ({"secretKeyRef": {"name": "creds", "key": "password"}},
     "couldn't find key password in Secret {ns}/creds"),
    ({"secretKeyRef": {"name": "nosuch", "key": "password"}}, 'secret "nosuch" not found'),
    ({"configMapKeyRef": {"name": "nosuch", "key": "k"}}, 'configmap "nosuch" not found'),
], ids=["secret-key", "secret", "configmap"])
def test_missing_config_is_create_container_config_error(cluster: Cluster, source: dict,
                                                          message: str) -> None:
    ns = cluster.namespace()
    cluster.core.create_namespaced_secret(ns, model(client.V1Secret, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
        "data": {"user": base64.b64encode(b"me").decode()}}))
    env = [{"name": "P", "valueFrom": source}]
    cluster.pod(ns, "noconfig", "print(1)", container={"env": env})
    waiting = cluster.waiting(ns, "noconfig", "CreateContainerConfigError")
    assert waiting["message"] == message.format(ns=ns)
    assert cluster.read(ns, "noconfig")["status"]["phase"] == "Pending"


def test_a_missing_secret_volume_keeps_the_pod_creating(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "novolume", "print(1)",
                container={"volumeMounts": [{"name": "s", "mountPath": "/etc/node-double-s"}]},
                volumes=[{"name": "s", "secret": {"secretName": "absent"}}])
    cluster.waiting(ns, "novolume", "ContainerCreating")

    def failed_mount() -> list[str]:
        return [e.message or "" for e in cluster.core.list_namespaced_event(ns).items
                if e.reason == "FailedMount"]

    assert wait_for(failed_mount, 5.0, "a FailedMount event")[0] == (
        'MountVolume.SetUp failed for volume "s" : secret "absent" not found')
    cluster.core.create_namespaced_secret(ns, model(client.V1Secret, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "absent"}}))
    assert cluster.phase(ns, "novolume", "Succeeded", "Failed")["status"]["phase"] == (
        "Succeeded")


@pytest.mark.parametrize(("spec", "reason"), [
    ({"nodeSelector": {"pool": "gpu"}}, "1 node(s) didn't match Pod's node affinity/selector"),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "pool", "operator": "NotIn", "values": ["spark"]}]}]}}}},
     "1 node(s) didn't match Pod's node affinity/selector"),
    ({"container": {"resources": {"requests": {"cpu": "3", "memory": "1Gi"}}}},
     "1 Insufficient cpu"),
    ({"container": {"resources": {"requests": {"cpu": "3", "memory": "9Gi"}}}},
     "1 Insufficient cpu, 1 Insufficient memory"),
], ids=["selector", "affinity", "cpu", "cpu-memory"])
def test_a_pod_that_does_not_fit_is_unschedulable(cluster: Cluster, spec: dict,
                                                    reason: str) -> None:
    ns = cluster.namespace()
    cluster.pod(ns, "elsewhere", "print(1)", **spec)
    scheduled = _unscheduled(cluster, ns, "elsewhere")
    assert scheduled["message"] == f"0/1 nodes are available: {reason}."
    assert not cluster.read(ns, "elsewhere")["spec"].get("nodeName")
    assert "FailedScheduling" in _event_reasons(cluster, ns)


def _unscheduled(cluster: Cluster, ns: str, name: str) -> dict:

    def condition() -> dict | None:
        conditions = cluster.read(ns, name).get("status", {}).get("conditions") or []
        return next((c for c in conditions if c["type"] == "PodScheduled"), None)

    scheduled = wait_for(condition, 10.0, "PodScheduled condition")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    return scheduled


def test_taints_keep_untolerating_pods_away(tmp_path: Path) -> None:
    taint = {"key": "dedicated", "value": "spark", "effect": "NoSchedule"}
    with _own_cluster(tmp_path, taints=[taint]) as cluster:
        cluster.pod("default", "intolerant", "print(1)")
        cluster.pod("default", "tolerant", "print(1)", tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "spark", "effect": "NoSchedule"}])
        assert _unscheduled(cluster, "default", "intolerant")["message"] == (
            "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: spark}.")
        pod = cluster.phase("default", "tolerant", "Succeeded", "Failed")
        assert (pod["spec"]["nodeName"], pod["status"]["phase"]) == ("node-own", "Succeeded")


def test_active_deadline_fails_a_sleeping_pod(cluster: Cluster) -> None:
    ns = cluster.namespace()
    started = time.monotonic()
    cluster.pod(ns, "sleepy", "import time; time.sleep(60)", activeDeadlineSeconds=1)
    pod = cluster.phase(ns, "sleepy", "Succeeded", "Failed", timeout=10)
    assert time.monotonic() - started < 6
    assert (pod["status"]["phase"], pod["status"]["reason"]) == ("Failed", "DeadlineExceeded")


class _Hello(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"hello from the backend\n")


class _Another(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"another backend\n")


def _greeting(ip: str, port: int) -> str:
    with socket.create_connection((ip, port), timeout=2) as conn:
        return conn.recv(100).decode().strip()


def _repoint(cluster: Cluster, ns: str, port: int) -> None:
    cluster.core.replace_namespaced_endpoints("hello", ns, model(client.V1Endpoints, {
        "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "hello"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": port}]}]}))


CONNECT = """
import socket, sys
for host in sys.argv[1:]:
    try:
        with socket.create_connection((host, 8080), timeout=3) as s:
            print(host, s.recv(100).decode().strip())
    except socket.gaierror:
        print(host, "unresolved")
"""


def test_service_is_reachable_by_cluster_dns_names(cluster: Cluster) -> None:
    backend = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hello)
    other_backend = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Another)
    for server in (backend, other_backend):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ns, other = cluster.namespace(), cluster.namespace()
        ip = _hello_service(cluster, ns, backend.server_address[1])
        full = f"hello.{ns}.svc.cluster.local"
        for where, name in ((ns, "same"), (other, "other")):
            cluster.pod(where, name, CONNECT, container={"args": [full, "hello"]})
        for where, name in ((ns, "same"), (other, "other")):
            cluster.phase(where, name, "Succeeded", "Failed")
        hello = "hello from the backend"
        assert cluster.core.read_namespaced_pod_log("same", ns).splitlines() == [
            f"{full} {hello}", f"hello {hello}"]
        assert cluster.core.read_namespaced_pod_log("other", other).splitlines() == [
            f"{full} {hello}", "hello unresolved"]
        _repoint(cluster, ns, other_backend.server_address[1])
        wait_for(lambda: _greeting(ip, 8080) == "another backend", 5.0, "the new endpoint")
        cluster.core.delete_namespaced_service("hello", ns)
        time.sleep(1.0)   # several polls of the node's kube-proxy
        assert not _connects(ip, 8080)
    finally:
        for server in (backend, other_backend):
            server.shutdown()
            server.server_close()


def _hello_service(cluster: Cluster, ns: str, backend_port: int) -> str:
    """Service `hello` on port 8080 with Endpoints at the test's backend; its ClusterIP."""
    cluster.core.create_namespaced_service(ns, model(client.V1Service, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "hello"},
        "spec": {"ports": [{"port": 8080, "targetPort": backend_port}]}}))
    cluster.core.create_namespaced_endpoints(ns, model(client.V1Endpoints, {
        "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "hello"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": backend_port}]}]}))
    ip = cluster.read_service(ns, "hello")["spec"]["clusterIP"]
    wait_for(lambda: _connects(ip, 8080), 5.0, "the ClusterIP listener")
    return ip


def _connects(ip: str, port: int) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=1):
            return True
    except OSError:
        return False


def _pid_from_log(cluster: Cluster, ns: str, name: str) -> int:
    def pid() -> int | None:
        lines = cluster.core.read_namespaced_pod_log(name, ns).split()
        return int(lines[0]) if lines else None

    return wait_for(pid, 10.0, "the pod's pid")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


SLEEPER = "import os, time; print(os.getpid(), flush=True); time.sleep(120)"
STUBBORN = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " + SLEEPER


@pytest.mark.parametrize("script", [SLEEPER, STUBBORN], ids=["sigterm", "sigkill"])
def test_deleting_a_running_pod_kills_it(cluster: Cluster, script: str) -> None:
    ns = cluster.namespace()
    created = time.monotonic()
    cluster.pod(ns, "victim", script)
    cluster.phase(ns, "victim", "Running", timeout=5)
    assert time.monotonic() - created < 2.0   # "Running within about a second"
    pid = _pid_from_log(cluster, ns, "victim")
    assert _alive(pid)
    cluster.core.delete_namespaced_pod("victim", ns)

    def gone() -> bool:
        try:
            cluster.core.read_namespaced_pod("victim", ns)
        except ApiException as exc:
            return exc.status == 404
        return False

    wait_for(gone, 10.0, "the pod to disappear")
    assert not _alive(pid)
    assert "Killing" in _event_reasons(cluster, ns)


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if stat.rsplit(")", 1)[1].split()[1] == me:
            found.append(int(entry.name))
    return found


@contextlib.contextmanager
def _own_cluster(tmp_path: Path, **node_options: Any) -> Iterator[Cluster]:
    """An API server with a node of its own, for tests that change or stop the node."""
    ca = CertificateAuthority(tmp_path / "ca")
    with ApiServer(tmp_path / "api", kubelet_ca_file=ca.ca_file) as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        node = NodeDouble(kubeconfig, tmp_path / "node", ca, name="node-own", **node_options)
        with node:
            yield Cluster(node, _core(kubeconfig))


TOOL = """
import os, socket, sys
print(os.environ["TOOL_HOME"], os.environ["MODE"], socket.gethostbyname("db.example"))
print(os.path.dirname(sys.executable) in os.environ["PATH"].split(":"))
"""


def test_an_image_table_of_ones_own(tmp_path: Path) -> None:
    tool = Runtime(path_dirs=(Path(sys.executable).parent,),
                   entrypoint=("python3", "-c", TOOL),
                   env=(("TOOL_HOME", "/opt/tool"), ("MODE", "image")))
    with _own_cluster(tmp_path, images={"registry.local/tool:1": tool}) as cluster:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tool"},
                "spec": {"restartPolicy": "Never",
                         "hostAliases": [{"ip": "127.0.0.42", "hostnames": ["db.example"]}],
                         "containers": [{"name": "main", "image": "registry.local/tool:1",
                                         "env": [{"name": "MODE", "value": "pod"}]}]}}
        cluster.core.create_namespaced_pod("default", model(client.V1Pod, body))
        pod = cluster.phase("default", "tool", "Succeeded", "Failed")
        logs = cluster.core.read_namespaced_pod_log("tool", "default")
        assert pod["status"]["phase"] == "Succeeded", logs
        assert logs.splitlines() == ["/opt/tool pod 127.0.0.42", "True"]
        cluster.pod("default", "python", "print(1)")   # not in this node's table
        cluster.waiting("default", "python", "ErrImagePull")


def test_stop_leaves_no_process_listener_or_folder(tmp_path: Path) -> None:
    backend = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hello)
    others = set(_children())   # the module's node may hold sandboxes of its own
    with _own_cluster(tmp_path) as cluster:
        ip = _hello_service(cluster, "default", backend.server_address[1])
        cluster.pod("default", "sleeper", SLEEPER)
        cluster.phase("default", "sleeper", "Running", timeout=5)
        pid = _pid_from_log(cluster, "default", "sleeper")
        assert len(set(_children()) - others) == 2   # the sandbox holder and the container
        port = int(cluster.node.kubelet_url.rsplit(":", 1)[1])
        cluster.node.stop()
        assert not _alive(pid)
        assert set(_children()) - others == set()
        assert not (tmp_path / "node" / "pods").exists()
        assert not _connects("127.0.0.1", port)
        assert not _connects(ip, 8080)
        assert cluster.core.list_node().items == []
    backend.server_close()


def test_stop_still_kills_the_pods_when_the_api_server_is_gone(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    api = ApiServer(tmp_path / "api", kubelet_ca_file=ca.ca_file).start()
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    node = NodeDouble(kubeconfig, tmp_path / "node", ca, name="node-orphan").start()
    cluster = Cluster(node, _core(kubeconfig))
    cluster.pod("default", "sleeper", SLEEPER)
    cluster.phase("default", "sleeper", "Running", timeout=5)
    pid = _pid_from_log(cluster, "default", "sleeper")
    api.stop()
    node.stop()
    assert not _alive(pid)
    assert not (tmp_path / "node" / "pods").exists()


def test_an_empty_dir_over_the_images_folder_does_not_hide_the_image(tmp_path: Path) -> None:
    """An image's files are never shadowed by a pod's volume: with the "image" (a runtime
    folder, here under /tmp like a checkout's venv in CI) below a pod's emptyDir at /tmp, the
    container still runs the image's command."""
    from tests.cluster_double import running_cluster

    image = tmp_path / "image-bin"
    image.mkdir()
    hello = image / "hello-from-the-image"
    hello.write_text("#!/bin/sh\necho hello from the image\n")
    hello.chmod(0o755)
    images = {"example/tmp-image:1": Runtime(path_dirs=(image,))}
    with running_cluster(tmp_path / "cluster", images=images) as running:
        running.api.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}})
        core = running.client()
        core.create_namespaced_pod("t", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"restartPolicy": "Never", "volumes": [{"name": "tmp", "emptyDir": {}}],
                     "containers": [{"name": "c", "image": "example/tmp-image:1",
                                     "command": ["hello-from-the-image"],
                                     "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}]}})
        pod = wait_for(lambda: (p := core.read_namespaced_pod("p", "t")).status.phase in (
            "Succeeded", "Failed") and p, 20.0, "pod p finished")
        assert pod.status.phase == "Succeeded", core.read_namespaced_pod_log("p", "t")
        assert core.read_namespaced_pod_log("p", "t").strip() == "hello from the image"
