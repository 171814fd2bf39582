"""A node double: one process-backed Kubernetes node for the cluster doubles.

It plays the kubelet and the container runtime (plus, for its single node, the scheduler,
kube-proxy and cluster DNS), and talks to the API server only through the official `kubernetes`
client loaded from a kubeconfig, polling with list calls, so it would serve a real
kube-apiserver too. It registers a Ready Node, binds the pending pods it fits (nodeSelector,
required node affinity, taints and tolerations, requests against allocatable), and runs each
bound pod's containers as local process groups (init containers first) from an image table
mapping image names to this machine's binaries (`Runtime`), reporting pods/status and Events
as a kubelet does. Logs are served on the kubelet's HTTPS endpoint
(`/containerLogs/{ns}/{pod}/{container}`), which the API server proxies for pods/log.

Each pod gets a sandbox: a private mount and UTS namespace (`unshare`, held by
node_sandbox.py) where its volumes (ConfigMap, Secret, projected, downwardAPI, emptyDir,
hostPath; `items`, `defaultMode`, `optional`, `readOnly`, `subPath`), its ServiceAccount files
at /var/run/secrets/kubernetes.io/serviceaccount and its private /etc/hosts are bind-mounted;
a mount point missing on the host is made inside a tmpfs that shadows its nearest existing
ancestor (whose entries are bound back; for / the tmpfs is moved onto the namespace's root),
never on the host. Containers join the sandbox with nsenter, and setpriv applies runAsUser,
runAsGroup, supplementalGroups and fsGroup (volume files group-owned and group-readable, as
the kubelet sets them), allowPrivilegeEscalation: false and capabilities drop ALL;
readOnlyRootFilesystem (when every container of the pod asks for it) remounts the root
read-only in the namespace; runAsNonRoot without a user is refused. For a non-root pod, the
folders on the way to the images' files that other users may not pass (this venv's Python
lives under /root, 0700) are opened in the namespace only (a tmpfs shadow with search
permission), as an image's files are usable by whatever user the container runs as. The UTS
namespace carries the pod's hostname. The ServiceAccount token comes from TokenRequest (a
placeholder where the API server refuses it), and KUBERNETES_SERVICE_HOST/PORT name the API
server of the kubeconfig, so in-cluster clients work.

Networking as a pod sees it: pods share the host network (podIP = hostIP = 127.0.0.1);
every Service's ClusterIP:port (inside 127.0.0.0/8) is a TCP listener forwarding to a ready
endpoint; cluster DNS is the pod's /etc/hosts, written when the pod starts (later Services are
not added), with `<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc`, `<svc>.<ns>` for every
Service and the short name only for the pod's own namespace.

Not emulated: CNI (no pod network, no port conflicts between pods detected; a ClusterIP is
reachable from the host too, so a process outside the pods is not "outside the cluster"),
NetworkPolicy enforcement, image contents (an image is only a PATH: /usr/bin/python3 is the
host's), resource limits (requests only matter to scheduling), liveness and startup probes
(readiness probes run: exec, tcpSocket, httpGet), seccomp profiles, capabilities other than
drop ALL, OOMKilled, NoExecute evictions of running pods, UDP Services, per-container mounts
(all containers of a pod share one mount table), termination-message files (a failed
container's message is its log tail), pid namespaces (a pod's processes are its containers'
process groups, plus whatever is left in its mount namespace when the pod ends). Pods with
restartPolicy Always are restarted with an exponential back-off capped at 10 s. The scheduler
knows only its own node: run one NodeDouble per API server. Container logs are kept in
`folder/logs` (a restarted container's log is appended to, there is no `previous`).
"""

from __future__ import annotations

import logging
import platform
import shutil
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.utils.quantity import parse_quantity

from tests.kube.node_api import API_ERRORS, Api, now
from tests.kube.node_config import POD_IP, requests_of
from tests.kube.node_pods import PodContext, PodWorker, Runtime
from tests.kube.node_proxy import Proxy, hosts_file
from tests.kube.pki import CertificateAuthority

__all__ = ["DEFAULT_IMAGES", "NodeDouble", "Runtime"]

log = logging.getLogger(__name__)
KUBELET_VERSION = "v1.37.0-double"
HEARTBEAT_EVERY = 10.0
_THIS_PYTHON = Runtime(path_dirs=(Path(sys.executable).parent,))
DEFAULT_IMAGES: dict[str, Runtime] = {
    # The platform's Spark image: this machine's Python, which has mlflow, boto3 and pyspark.
    "ilum/spark:3.5.3-mlflow": _THIS_PYTHON,
    "python:3.11": _THIS_PYTHON,
    "python:3.11-slim": _THIS_PYTHON,
    "busybox:1.36": Runtime(),   # the host's /usr/bin:/bin (sh, sleep, cat)
}
_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _tolerated(taint: dict, tolerations: list[dict]) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint["effect"]:
            continue
        if toleration.get("operator", "Equal") == "Exists":
            if not toleration.get("key") or toleration["key"] == taint["key"]:
                return True
        elif (toleration.get("key") == taint["key"]
              and toleration.get("value", "") == taint.get("value", "")):
            return True
    return False


def _expression_holds(expression: dict, values: dict[str, str]) -> bool:
    key, operator = expression["key"], expression["operator"]
    wanted = expression.get("values") or []
    if operator == "In":
        return key in values and values[key] in wanted
    if operator == "NotIn":
        return key not in values or values[key] not in wanted
    if operator == "Exists":
        return key in values
    if operator == "DoesNotExist":
        return key not in values
    if key not in values or not values[key].isdigit():
        return False
    return int(values[key]) > int(wanted[0]) if operator == "Gt" else int(values[key]) < int(
        wanted[0])


def _affinity_matches(pod: dict, labels: dict[str, str], name: str) -> bool:
    selector = pod["spec"].get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    required = (((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    return any(
        all(_expression_holds(e, labels) for e in term.get("matchExpressions") or [])
        and all(_expression_holds(e, {"metadata.name": name}) for e in term.get("matchFields")
                or [])
        for term in required.get("nodeSelectorTerms") or [])


def _select_log(data: bytes, query: dict[str, list[str]]) -> bytes:
    """The kubelet's log options: the last `tailLines` lines, then at most `limitBytes`."""
    if "tailLines" in query:
        count = int(query["tailLines"][0])
        data = b"".join(data.splitlines(keepends=True)[-count:]) if count > 0 else b""
    if "limitBytes" in query:
        data = data[:int(query["limitBytes"][0])]
    return data


class _KubeletHandler(BaseHTTPRequestHandler):
    node: NodeDouble

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        if url.path == "/healthz":
            self._answer(200, b"ok")
            return
        parts = url.path.strip("/").split("/")
        path = None
        if len(parts) == 4 and parts[0] == "containerLogs":
            path = self.node.log_file(parts[1], parts[2], parts[3])
        if path is None or not path.exists():
            self._answer(404, b"404 page not found\n")
            return
        self._answer(200, _select_log(path.read_bytes(), urllib.parse.parse_qs(url.query)))

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("kubelet: " + format, *args)


class _KubeletServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        # the TLS handshake in the connection's thread: a stalled client blocks no other
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("kubelet: connection from %s failed", client_address, exc_info=True)


class NodeDouble:
    def __init__(self, kubeconfig: Path, folder: Path, ca: CertificateAuthority, *,
                 name: str = "node-double-1", images: dict[str, Runtime] | None = None,
                 labels: dict[str, str] | None = None, taints: list[dict] | None = None,
                 capacity: dict[str, str] | None = None, poll: float = 0.2) -> None:
        self.name, self.folder, self.ca, self.poll = name, Path(folder), ca, poll
        self.api = Api(kubeconfig)
        self.images = dict(DEFAULT_IMAGES if images is None else images)
        self.labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                       "kubernetes.io/arch": _ARCH, **(labels or {})}
        self.taints = list(taints or [])
        self.capacity = dict(capacity or {"cpu": "2", "memory": "8Gi", "pods": "110"})
        self.workers: dict[str, PodWorker] = {}
        self.unschedulable: dict[str, str] = {}   # pod uid → the message last reported
        self.logs: dict[tuple[str, str, str], Path] = {}
        self.logs_lock = threading.Lock()
        self.proxy = Proxy()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.server: _KubeletServer | None = None
        self.kubelet_port, self.kubelet_url = 0, ""
        self.started_at = now()
        self.last_heartbeat = 0.0
        cfg = self.api.configuration
        host = urllib.parse.urlparse(cfg.host)
        ca_pem = Path(cfg.ssl_ca_cert).read_bytes() if cfg.ssl_ca_cert else ca.ca_pem
        self.ctx = PodContext(self.api, self.name, self.images, self.capacity,
                              self._hosts_file, ca_pem, host.hostname or "127.0.0.1",
                              str(host.port or 443))

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> NodeDouble:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._serve_kubelet()
            self.api.register_node(self._node())
            self.last_heartbeat = time.monotonic()
            self._network_loop()   # Services reachable before the first pod runs
        except BaseException:
            self.stop()   # no kubelet endpoint left behind by a node that never came up
            raise
        for target in (self._pods_loop, self._network_loop):
            thread = threading.Thread(target=self._forever, args=(target,), daemon=True,
                                      name=f"{self.name}-{target.__name__}")
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        """Kills every pod process, closes every listener, removes the Node and the pods'
        private folders (the container logs stay under `folder/logs` for post-mortems)."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads.clear()
        for worker in self.workers.values():
            worker.kill()
        self.workers.clear()
        self.proxy.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        try:
            self.api.delete_node(self.name)
        except API_ERRORS as exc:
            log.warning("node %s not removed: %s", self.name, exc)
        shutil.rmtree(self.folder / "pods", ignore_errors=True)

    def __enter__(self) -> NodeDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _forever(self, step: Any) -> None:
        while not self.stopping.is_set():
            try:
                step()
            except Exception:   # a sync error must not end the node: the next poll retries
                log.exception("%s: sync failed", self.name)
            self.stopping.wait(self.poll)

    # -- the kubelet endpoint ----------------------------------------------------------------
    def _serve_kubelet(self) -> None:
        cert = self.ca.issue(f"kubelet-{self.name}", ("127.0.0.1", "localhost", self.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        handler = type("Handler", (_KubeletHandler,), {"node": self})
        self.server = _KubeletServer(handler, context)
        self.kubelet_port = self.server.server_address[1]
        self.kubelet_url = f"https://127.0.0.1:{self.kubelet_port}"
        thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                  name=f"{self.name}-kubelet")
        thread.start()

    def _hosts_file(self, pod: dict) -> str:
        # Read when the pod starts, not from the last poll: a Service just created counts.
        return hosts_file(pod, self.api.services())

    def log_file(self, namespace: str, pod: str, container: str) -> Path | None:
        with self.logs_lock:
            return self.logs.get((namespace, pod, container))

    # -- the Node object -------------------------------------------------------------------
    def _node(self) -> dict:
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.name, "labels": self.labels},
                "spec": {"taints": self.taints} if self.taints else {},
                "status": self._node_status()}

    def _node_status(self) -> dict:
        stamp = now()
        conditions = [{"type": kind, "status": "False", "reason": reason,
                       "message": message, "lastHeartbeatTime": stamp,
                       "lastTransitionTime": self.started_at}
                      for kind, reason, message in (
                          ("MemoryPressure", "KubeletHasSufficientMemory",
                           "kubelet has sufficient memory available"),
                          ("DiskPressure", "KubeletHasNoDiskPressure",
                           "kubelet has no disk pressure"),
                          ("PIDPressure", "KubeletHasSufficientPID",
                           "kubelet has sufficient PID available"))]
        conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                           "message": "kubelet is posting ready status",
                           "lastHeartbeatTime": stamp, "lastTransitionTime": self.started_at})
        return {
            "capacity": self.capacity, "allocatable": self.capacity, "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": POD_IP},
                          {"type": "Hostname", "address": self.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.kubelet_port}},
            "nodeInfo": {
                "machineID": self.name, "systemUUID": self.name, "bootID": self.started_at,
                "kernelVersion": platform.release(), "osImage": "node double",
                "containerRuntimeVersion": "process-double://1",
                "kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux", "architecture": _ARCH}}

    # -- the loops -----------------------------------------------------------------------------
    def _network_loop(self) -> None:
        self.proxy.sync(self.api.services(), self.api.endpoints())
        if time.monotonic() - self.last_heartbeat > HEARTBEAT_EVERY:
            self.api.patch_node_status(self.name, self._node_status())
            self.last_heartbeat = time.monotonic()

    def _pods_loop(self) -> None:
        pods = self.api.pods()
        self._schedule(pods)
        mine = {p["metadata"]["uid"]: p for p in pods if p["spec"].get("nodeName") == self.name}
        for uid in [uid for uid in self.workers if uid not in mine]:
            self._forget(self.workers.pop(uid))
        for uid, pod in mine.items():
            try:
                self._sync_pod(uid, pod)
            except Exception:   # one pod's failure must not stall the others
                log.exception("%s: sync of pod %s failed", self.name, pod["metadata"]["name"])

    def _sync_pod(self, uid: str, pod: dict) -> None:
        worker = self.workers.get(uid)
        if worker is None:
            if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                # finished before this node (re)started: nothing runs, only a deletion to end
                if pod["metadata"].get("deletionTimestamp"):
                    self.api.delete_pod_now(pod)
                return
            worker = self.workers[uid] = self._worker(pod)
        worker.sync(pod)
        if worker.finished:
            self._forget(self.workers.pop(uid))

    def _worker(self, pod: dict) -> PodWorker:
        meta = pod["metadata"]
        uid = meta["uid"]
        log_folder = self.folder / "logs" / f"{meta['namespace']}_{meta['name']}_{uid}"
        worker = PodWorker(self.ctx, pod, self.folder / "pods" / uid, log_folder)
        with self.logs_lock:
            for container in worker.containers:
                self.logs[(meta["namespace"], meta["name"], container.name)] = container.log_file
        return worker

    def _forget(self, worker: PodWorker) -> None:
        worker.kill()
        meta = worker.pod["metadata"]
        with self.logs_lock:
            for container in worker.containers:
                key = (meta["namespace"], meta["name"], container.name)
                if self.logs.get(key) == container.log_file:
                    del self.logs[key]

    # -- the scheduler -------------------------------------------------------------------------
    def _schedule(self, pods: list[dict]) -> None:
        bound = [p for p in pods if p["spec"].get("nodeName") == self.name
                 and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
        for pod in pods:
            spec, meta = pod["spec"], pod["metadata"]
            if (spec.get("nodeName") or meta.get("deletionTimestamp")
                    or spec.get("schedulerName", "default-scheduler") != "default-scheduler"):
                continue
            reasons = self._unfit(pod, bound)
            try:
                if reasons:
                    self._unschedulable(pod, reasons)
                    continue
                self.api.bind(pod, self.name)
            except ApiException as exc:   # deleted or bound meanwhile: the next poll sees it
                log.warning("scheduling %s failed: %s", meta["name"], exc.reason)
                continue
            self.unschedulable.pop(meta["uid"], None)
            bound.append(pod)
            self.api.event(pod, "Scheduled", f"Successfully assigned {meta['namespace']}/"
                           f"{meta['name']} to {self.name}", self.name,
                           component="default-scheduler")

    def _unfit(self, pod: dict, bound: list[dict]) -> list[str]:
        """The first failing filter's reasons, in the default scheduler's plugin order."""
        tolerations = pod["spec"].get("tolerations") or []
        for taint in self.taints:
            if taint["effect"] in ("NoSchedule", "NoExecute") and not _tolerated(
                    taint, tolerations):
                return [f"1 node(s) had untolerated taint {{{taint['key']}: "
                        f"{taint.get('value', '')}}}"]
        if not _affinity_matches(pod, self.labels, self.name):
            return ["1 node(s) didn't match Pod's node affinity/selector"]
        if len(bound) + 1 > int(self.capacity.get("pods", "110")):
            return ["1 Too many pods"]
        used: dict[str, float] = {}
        for other in bound:
            for key, value in requests_of(other).items():
                used[key] = used.get(key, 0.0) + value
        free = {k: float(parse_quantity(v)) - used.get(k, 0.0) for k, v in self.capacity.items()}
        return [f"1 Insufficient {key}" for key, value in sorted(requests_of(pod).items())
                if value > free.get(key, 0.0) + 1e-9]

    def _unschedulable(self, pod: dict, reasons: list[str]) -> None:
        message = f"0/1 nodes are available: {', '.join(reasons)}."
        uid = pod["metadata"]["uid"]
        if self.unschedulable.get(uid) == message:
            return
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                     "message": message, "lastTransitionTime": now()}
        self.api.patch_pod_status(pod, {"phase": "Pending", "conditions": [condition]})
        self.unschedulable[uid] = message
        self.api.event(pod, "FailedScheduling", message, self.name, warning=True,
                       component="default-scheduler")
