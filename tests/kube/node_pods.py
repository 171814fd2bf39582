"""One bound pod on the node double: its sandbox (a private mount + UTS namespace held by
node_sandbox.py), its containers as local process groups joined to it with nsenter, and the
pod status a kubelet would report for them."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.kube.node_api import API_ERRORS, Api, now
from tests.kube.node_config import (
    POD_IP,
    ConfigError,
    MountError,
    SourceCache,
    VolumeBuilder,
    build_env,
    expand,
    pod_hostname,
    service_account_files,
)
from tests.kube.node_probes import ReadinessState, start_probe

log = logging.getLogger(__name__)
SANDBOX_SCRIPT = Path(__file__).with_name("node_sandbox.py")
SA_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
BASE_PATH = "/usr/bin:/bin"
MAX_GRACE = 3.0        # deletion grace is capped: tests should not wait 30 s for a SIGKILL
PULL_BACKOFF_AFTER = 5.0
RETRY_EVERY = 1.0      # a failed volume or config is retried, as the kubelet's sync loop does
LOG_TAIL_BYTES = 2048


@dataclass(frozen=True)
class Runtime:
    """What an image maps to on this machine: the directories put first on PATH (the image's
    binaries), the image's entrypoint for a container without `command` (none: `args` run
    as the command, as an entrypoint that execs its arguments would run them), its ENV."""

    path_dirs: tuple[Path, ...] = ()
    entrypoint: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()   # the image's ENV, under the container's env


def normalize_image(image: str) -> str:
    """`python:3.11` → `docker.io/library/python:3.11`, as the container runtime reads it."""
    name = image if "@" in image or ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


def resolve_image(images: dict[str, Runtime], image: str) -> Runtime | None:
    wanted = normalize_image(image)
    for known, runtime in images.items():
        if normalize_image(known) == wanted:
            return runtime
    return None


def image_id(image: str) -> str:
    digest = hashlib.sha256(normalize_image(image).encode()).hexdigest()
    return f"{normalize_image(image).rsplit(':', 1)[0]}@sha256:{digest}"


def tail(path: Path, *, max_bytes: int = LOG_TAIL_BYTES) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - max_bytes))
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_namespace(holder: int) -> None:
    """SIGKILL every process left in the sandbox's mount namespace but the holder, as a
    runtime ends a container's pid namespace: a daemon that left its process group too."""
    try:
        namespace = os.readlink(f"/proc/{holder}/ns/mnt")
    except OSError:
        return
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == holder:
            continue
        try:
            if os.readlink(entry / "ns" / "mnt") == namespace:
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue   # gone meanwhile


@dataclass
class Container:
    """One container's runtime state: what the kubelet keeps between syncs."""

    spec: dict
    init: bool
    log_file: Path
    proc: subprocess.Popen[bytes] | None = None
    waiting: tuple[str, str] | None = ("ContainerCreating", "")
    started_at: str = ""
    terminated: dict | None = None
    last_terminated: dict | None = None
    restart_count: int = 0
    not_before: float = 0.0   # restart back-off, or the next retry of a failed create
    first_failure: float = 0.0
    pulled: bool = False
    warned: set[str] = field(default_factory=set)
    readiness: ReadinessState | None = None
    launched: tuple[list[str], dict[str, str], float] = ([], {}, 0.0)  # prefix, env, when

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def running(self) -> bool:
        return self.proc is not None and self.terminated is None

    @property
    def ready(self) -> bool:
        """Running and passing its readiness probe (if any); an init container once it
        succeeded."""
        if self.init:
            return self.terminated is not None and self.terminated["exitCode"] == 0
        return self.running and (self.readiness is None or self.readiness.ready)

    def probe(self) -> None:
        """Start the readiness probe when it is due (the result lands on a later sync)."""
        prefix, env, started = self.launched
        if self.running and self.readiness is not None and self.readiness.due(started):
            start_probe(self.readiness, self.spec, prefix, env)

    def status(self) -> dict[str, Any]:
        state: dict[str, Any]
        if self.terminated is not None:
            state = {"terminated": self.terminated}
        elif self.running:
            state = {"running": {"startedAt": self.started_at}}
        else:
            reason, message = self.waiting or ("ContainerCreating", "")
            state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        status: dict[str, Any] = {
            "name": self.name, "image": self.spec.get("image", ""),
            "imageID": image_id(self.spec.get("image", "")) if self.pulled else "",
            "ready": self.ready, "started": self.running,
            "restartCount": self.restart_count, "state": state,
            "lastState": {"terminated": self.last_terminated} if self.last_terminated else {},
        }
        if self.proc is not None:
            status["containerID"] = f"process-double://{self.proc.pid}"
        return status


@dataclass
class PodContext:
    """What a pod needs from its node."""

    api: Api
    node_name: str
    images: dict[str, Runtime]
    allocatable: dict[str, str]
    hosts_file: Callable[[dict], str]   # the pod's /etc/hosts (cluster DNS as a file)
    ca_pem: bytes
    api_host: str
    api_port: str


class PodWorker:
    def __init__(self, ctx: PodContext, pod: dict, folder: Path, log_folder: Path) -> None:
        self.ctx, self.pod, self.folder = ctx, pod, folder
        self.uid = pod["metadata"]["uid"]
        log_folder.mkdir(parents=True, exist_ok=True)
        spec = pod["spec"]
        self.containers = [Container(c, True, log_folder / f"{c['name']}.log")
                           for c in spec.get("initContainers") or []]
        self.containers += [Container(c, False, log_folder / f"{c['name']}.log")
                            for c in spec.get("containers") or []]
        self.holder: subprocess.Popen[bytes] | None = None
        self.sandbox_error_at = 0.0
        self.sandbox_errors: set[str] = set()
        self.start_time = now()
        self.started = time.monotonic()
        self.phase, self.reason, self.message = "Pending", "", ""
        self.transitions: dict[str, tuple[str, str]] = {}
        self.reported: dict | None = None
        self.kill_deadline: float | None = None
        self.finished = False   # deleted for good: nothing more to do

    # -- the sync loop's entry points ------------------------------------------------------
    def sync(self, pod: dict) -> None:
        self.pod = pod
        if self.finished:
            return
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate_step()
            return
        if self.phase not in ("Succeeded", "Failed"):
            self._step()
        self._report()

    def kill(self) -> None:
        """The pod is gone from the API server (or the node stops): kill everything now."""
        if self.finished:
            return   # its process groups are gone: their ids may belong to others by now
        self._kill_containers()
        self._teardown()
        self.finished = True

    def _kill_containers(self) -> None:
        for container in self.containers:
            if container.running and container.proc is not None:
                _kill_group(container.proc.pid, signal.SIGKILL)
                container.proc.wait()
                self._terminated(container, 137)

    # -- running ---------------------------------------------------------------------------
    def _step(self) -> None:
        deadline = self.pod["spec"].get("activeDeadlineSeconds")
        if deadline is not None and time.monotonic() - self.started > deadline:
            self._deadline_exceeded()
            return
        for container in self.containers:
            self._poll(container)
            container.probe()
        if self.holder is None and not self._start_sandbox():
            return
        pending_init = [c for c in self.containers if c.init and not self._init_done(c)]
        if pending_init:
            self._advance(pending_init[0])
        else:
            for container in self.containers:
                if not container.init:
                    self._advance(container)
        self._compute_phase()
        if self.phase in ("Succeeded", "Failed"):
            self._teardown()

    def _init_done(self, container: Container) -> bool:
        return container.terminated is not None and container.terminated["exitCode"] == 0

    def _restarts(self, container: Container) -> bool:
        policy = self.pod["spec"].get("restartPolicy", "Always")
        code = (container.terminated or {}).get("exitCode", 0)
        if container.init:
            return policy != "Never" and code != 0
        return policy == "Always" or (policy == "OnFailure" and code != 0)

    def _advance(self, container: Container) -> None:
        if container.running:
            return
        if container.terminated is not None:
            if not self._restarts(container):
                return
            self._schedule_restart(container)
        if time.monotonic() >= container.not_before:
            self._start_container(container)

    def _schedule_restart(self, container: Container) -> None:
        backoff = min(10.0, 2.0 ** container.restart_count)
        container.last_terminated, container.terminated = container.terminated, None
        container.restart_count += 1
        container.proc = None
        container.not_before = time.monotonic() + backoff
        meta = self.pod["metadata"]
        container.waiting = ("CrashLoopBackOff",
                             f"back-off {int(backoff)}s restarting failed container="
                             f"{container.name} pod={meta['name']}_{meta['namespace']}"
                             f"({self.uid})")

    def _poll(self, container: Container) -> None:
        if not container.running or container.proc is None:
            return
        code = container.proc.poll()
        if code is None:
            return
        self._terminated(container, code if code >= 0 else 128 - code)

    def _terminated(self, container: Container, code: int) -> None:
        container.terminated = {
            "exitCode": code, "reason": "Completed" if code == 0 else "Error",
            "startedAt": container.started_at, "finishedAt": now(),
            "containerID": f"process-double://{container.proc.pid if container.proc else 0}"}
        message = tail(container.log_file) if code != 0 else ""
        if message:
            container.terminated["message"] = message  # FallbackToLogsOnError, always

    def _warn_once(self, container: Container, reason: str, message: str) -> None:
        if message not in container.warned:
            container.warned.add(message)
            self.ctx.api.event(self.pod, reason, message, self.ctx.node_name, warning=True,
                               container=container.name)

    def _start_container(self, container: Container) -> None:
        image = container.spec.get("image", "")
        runtime = resolve_image(self.ctx.images, image)
        if runtime is None:
            self._image_missing(container, image)
            return
        if not container.pulled:
            container.pulled = True
            self.ctx.api.event(self.pod, "Pulled",
                               f'Container image "{image}" already present on machine',
                               self.ctx.node_name, container=container.name)
        try:
            argv, env = self._command(container, runtime)
        except ConfigError as exc:
            container.waiting = ("CreateContainerConfigError", str(exc))
            container.not_before = time.monotonic() + RETRY_EVERY
            self._warn_once(container, "Failed", f"Error: {exc}")
            return
        if not argv:
            message = "failed to create containerd container: no command specified"
            container.waiting = ("CreateContainerError", message)
            self._warn_once(container, "Failed", f"Error: {message}")
            return
        self._launch(container, argv, env)

    def _image_missing(self, container: Container, image: str) -> None:
        full = normalize_image(image)
        if not container.first_failure:
            container.first_failure = time.monotonic()
        if time.monotonic() - container.first_failure < PULL_BACKOFF_AFTER:
            message = (f'rpc error: code = NotFound desc = failed to pull and unpack image '
                       f'"{full}": failed to resolve reference "{full}": {full}: not found')
            container.waiting = ("ErrImagePull", message)
            self._warn_once(container, "Failed", f'Failed to pull image "{image}": {message}')
            self._warn_once(container, "Failed", "Error: ErrImagePull")
        else:
            container.waiting = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self._warn_once(container, "BackOff", f'Back-off pulling image "{image}"')

    def _command(self, container: Container,
                 runtime: Runtime) -> tuple[list[str], dict[str, str]]:
        sources = SourceCache(self.ctx.api, self.pod["metadata"]["namespace"])
        env = build_env(sources, self.pod, container.spec, self.ctx.allocatable)
        command = container.spec.get("command") or list(runtime.entrypoint)
        args = container.spec.get("args") or []
        argv = [expand(part, env) for part in [*command, *args]]
        path = ":".join([*(str(d) for d in runtime.path_dirs), BASE_PATH])
        base = {"PATH": path, "HOSTNAME": pod_hostname(self.pod), "HOME": "/root",
                "KUBERNETES_SERVICE_HOST": self.ctx.api_host,
                "KUBERNETES_SERVICE_PORT": self.ctx.api_port,
                "KUBERNETES_PORT": f"tcp://{self.ctx.api_host}:{self.ctx.api_port}"}
        user = self._security(container, "runAsUser")
        if user is not None and user != 0:
            base["HOME"] = "/"
        if self._security(container, "runAsNonRoot") and not user:
            raise ConfigError("container has runAsNonRoot and image will run as root")
        return argv, {**base, **dict(runtime.env), **env}

    def _security(self, container: Container, key: str) -> Any:
        own = (container.spec.get("securityContext") or {}).get(key)
        return own if own is not None else (self.pod["spec"].get("securityContext") or {}).get(key)

    def _launch(self, container: Container, argv: list[str], env: dict[str, str]) -> None:
        assert self.holder is not None
        # No workingDir: the sandbox's working directory, a folder of the pod's own (a path
        # in the namespace could be hidden by the pod's mounts), never the host's /.
        workdir = container.spec.get("workingDir")
        prefix = ["nsenter", f"--target={self.holder.pid}", "--mount", "--uts",
                  f"--wd={workdir}" if workdir else "--wd", "--"]
        prefix += self._setpriv(container)
        probe = container.spec.get("readinessProbe")
        container.readiness = ReadinessState(probe) if probe else None
        container.launched = (prefix, env, time.monotonic())
        with container.log_file.open("ab") as out:
            container.proc = subprocess.Popen(
                [*prefix, *argv], env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        container.started_at, container.waiting, container.terminated = now(), None, None
        for reason, message in (("Created", f"Created container: {container.name}"),
                                ("Started", f"Started container {container.name}")):
            self.ctx.api.event(self.pod, reason, message, self.ctx.node_name,
                               container=container.name)

    def _setpriv(self, container: Container) -> list[str]:
        """The container's identity and privileges as setpriv sets them: runAsUser/Group,
        fsGroup and supplementalGroups, allowPrivilegeEscalation, dropped capabilities."""
        pod_context = self.pod["spec"].get("securityContext") or {}
        own = container.spec.get("securityContext") or {}
        user = self._security(container, "runAsUser")
        group = self._security(container, "runAsGroup")
        groups = [*pod_context.get("supplementalGroups", []),
                  *([pod_context["fsGroup"]] if "fsGroup" in pod_context else [])]
        args = []
        if user is not None or group is not None or groups:
            args += [f"--reuid={user or 0}", f"--regid={group or 0}",
                     f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"]
        if own.get("allowPrivilegeEscalation") is False:
            args.append("--no-new-privs")
        if "ALL" in ((own.get("capabilities") or {}).get("drop") or []):
            args += ["--inh-caps=-all", "--bounding-set=-all"]
        return ["setpriv", *args, "--"] if args else []

    # -- the sandbox -----------------------------------------------------------------------
    def _start_sandbox(self) -> bool:
        if time.monotonic() < self.sandbox_error_at + RETRY_EVERY:
            return False
        try:
            plan = self._plan()
            self.holder = self._spawn_holder(plan)
        except (MountError, *API_ERRORS) as exc:
            self.sandbox_error_at = time.monotonic()
            reason = "FailedMount" if isinstance(exc, MountError) else "FailedCreatePodSandBox"
            for container in self.containers:
                container.waiting = ("ContainerCreating", "")
            if str(exc) not in self.sandbox_errors:   # an event per error, not per retry
                self.sandbox_errors.add(str(exc))
                self.ctx.api.event(self.pod, reason, str(exc), self.ctx.node_name,
                                   warning=True)
            return False
        return True

    def _plan(self) -> dict:
        spec, meta = self.pod["spec"], self.pod["metadata"]
        token = (self.ctx.api.token(meta["namespace"], spec.get("serviceAccountName", "default"),
                                    self.pod)
                 or f"node-double-placeholder-token-{meta['namespace']}")
        sources = SourceCache(self.ctx.api, meta["namespace"])
        builder = VolumeBuilder(sources, self.pod, self.folder / "volumes", token=token,
                                ca_pem=self.ctx.ca_pem)
        volumes = {v["name"]: builder.build(v) for v in spec.get("volumes") or []}
        mounts: dict[str, dict] = {}
        dirs = []
        for container in self.containers:
            for mount in container.spec.get("volumeMounts") or []:
                if mount["name"] not in volumes:
                    raise MountError(f'volume "{mount["name"]}" not found in the pod spec')
                source = volumes[mount["name"]] / mount.get("subPath", "")
                if not source.exists() and source.parent.is_dir():
                    source.mkdir(parents=True)   # as the kubelet makes a missing subPath
                mounts.setdefault(mount["mountPath"], {
                    "source": str(source), "target": mount["mountPath"],
                    "read_only": bool(mount.get("readOnly", False))})
            if container.spec.get("workingDir"):
                dirs.append(container.spec["workingDir"])
        if spec.get("automountServiceAccountToken", True) and SA_PATH not in mounts:
            folder = service_account_files(self.folder / "serviceaccount", token=token,
                                           ca_pem=self.ctx.ca_pem, namespace=meta["namespace"])
            mounts[SA_PATH] = {"source": str(folder), "target": SA_PATH, "read_only": True}
        hosts = self.folder / "hosts"
        hosts.write_text(self.ctx.hosts_file(self.pod))
        mounts.setdefault("/etc/hosts", {"source": str(hosts), "target": "/etc/hosts",
                                         "read_only": False})
        stash, workdir = self.folder / "stash", self.folder / "work"
        stash.mkdir(parents=True, exist_ok=True)
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o1777)   # as /tmp: containers of any runAsUser write there
        return {"host_mnt_ns": os.readlink("/proc/self/ns/mnt"),
                "hostname": pod_hostname(self.pod), "stash": str(stash),
                "workdir": str(workdir), "mounts": list(mounts.values()), "dirs": dirs,
                "read_only_root": all((c.spec.get("securityContext") or {}).get(
                    "readOnlyRootFilesystem") for c in self.containers),
                "open_up": self._closed_folders(), "image": self._image_paths()}

    def _image_paths(self) -> list[str]:
        """Where the containers' images live on this machine (the runtimes' folders and the
        venv they belong to): a pod's own mount (an emptyDir at /tmp, with the venv in
        /tmp) must not hide them, as a volume never hides a real image's files."""
        runtimes = [resolve_image(self.ctx.images, c.spec.get("image", ""))
                    for c in self.containers]
        folders = {Path(sys.prefix)} | {f for r in filter(None, runtimes) for f in r.path_dirs}
        return sorted(str(f) for f in folders if f.is_dir())

    def _closed_folders(self) -> list[str]:
        """Folders on the way to the images' files that a non-root user may not pass (the
        venv's Python under /root): the sandbox opens them, in the namespace only."""
        if all(not self._security(c, "runAsUser") for c in self.containers):
            return []
        runtimes = [resolve_image(self.ctx.images, c.spec.get("image", ""))
                    for c in self.containers]
        files = {Path(sys.prefix), Path(sys.base_prefix)}
        for runtime in filter(None, runtimes):
            for folder in runtime.path_dirs:
                files |= {folder, *(entry.resolve() for entry in folder.iterdir())}
        closed = {parent for path in files for parent in path.parents
                  if not parent.stat().st_mode & 0o001}
        return sorted(map(str, closed), key=lambda p: p.count("/"))

    def _spawn_holder(self, plan: dict) -> subprocess.Popen[bytes]:
        plan_file = self.folder / "sandbox.json"
        plan_file.write_text(json.dumps(plan))
        holder = subprocess.Popen(
            ["unshare", "--mount", "--uts", "--propagation", "private", "--",
             sys.executable, "-I", str(SANDBOX_SCRIPT), str(plan_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        assert holder.stdout is not None
        ready, _, _ = select.select([holder.stdout], [], [], 10.0)
        line = holder.stdout.readline().decode().strip() if ready else "timed out"
        if line != "ready":
            _kill_group(holder.pid, signal.SIGKILL)
            rest = holder.stdout.read().decode() if ready else ""
            holder.wait()
            raise OSError(f"pod sandbox failed: {line} {rest}".strip())
        return holder

    def _teardown(self) -> None:
        """The pod's processes are gone: end the namespace and remove its private files."""
        if self.holder is not None:
            _kill_namespace(self.holder.pid)
            _kill_group(self.holder.pid, signal.SIGKILL)
            self.holder.wait()
            if self.holder.stdout is not None:
                self.holder.stdout.close()
            self.holder = None
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- deadlines and deletion -------------------------------------------------------------
    def _deadline_exceeded(self) -> None:
        self._kill_containers()
        self.phase, self.reason = "Failed", "DeadlineExceeded"
        self.message = "Pod was active on the node longer than the specified deadline"
        self.ctx.api.event(self.pod, "DeadlineExceeded", self.message, self.ctx.node_name,
                           warning=True)
        self._teardown()

    def _terminate_step(self) -> None:
        running = [c for c in self.containers if c.running and c.proc is not None]
        if self.kill_deadline is None:
            grace = self.pod["metadata"].get("deletionGracePeriodSeconds", 30)
            self.kill_deadline = time.monotonic() + min(float(grace), MAX_GRACE)
            for container in running:
                assert container.proc is not None
                self.ctx.api.event(self.pod, "Killing", f"Stopping container {container.name}",
                                   self.ctx.node_name, container=container.name)
                _kill_group(container.proc.pid, signal.SIGTERM)
        for container in running:
            self._poll(container)   # an exit is recorded: its process id is free from now on
        if any(c.running for c in running) and time.monotonic() < self.kill_deadline:
            return
        self.kill()
        try:
            self.ctx.api.delete_pod_now(self.pod)
        except API_ERRORS as exc:
            log.warning("final delete of %s failed: %s", self.pod["metadata"]["name"], exc)
            self.finished = False   # retried on the next sync

    # -- status ----------------------------------------------------------------------------
    def _compute_phase(self) -> None:
        if self.phase == "Failed" and self.reason:
            return
        if any(c.init and not self._init_done(c) for c in self.containers):
            failed = [c for c in self.containers if c.init and c.terminated is not None
                      and not self._restarts(c)]
            self.phase = "Failed" if failed else "Pending"
            return
        main = [c for c in self.containers if not c.init]
        waiting = [c for c in main if not c.running and c.terminated is None
                   and c.last_terminated is None]
        if waiting:
            self.phase = "Pending"
        elif any(c.running or self._restarts(c) or c.terminated is None for c in main):
            self.phase = "Running"
        elif all((c.terminated or {}).get("exitCode") == 0 for c in main):
            self.phase = "Succeeded"
        else:
            self.phase = "Failed"

    def _condition(self, kind: str, ok: bool, reason: str = "", message: str = "") -> dict:
        value = "True" if ok else "False"
        if self.transitions.get(kind, ("", ""))[0] != value:
            self.transitions[kind] = (value, now())
        condition = {"type": kind, "status": value,
                     "lastTransitionTime": self.transitions[kind][1]}
        if not ok and reason:
            condition.update(reason=reason, message=message)
        return condition

    def _conditions(self) -> list[dict]:
        init_left = [c.name for c in self.containers if c.init and not self._init_done(c)]
        unready = [c.name for c in self.containers if not c.init and not c.ready]
        done = self.phase in ("Succeeded", "Failed")
        ready_reason = "PodCompleted" if done else "ContainersNotReady"
        ready_message = "" if done else f"containers with unready status: [{' '.join(unready)}]"
        return [
            self._condition("PodReadyToStartContainers", self.holder is not None or done),
            self._condition("Initialized", not init_left, "ContainersNotInitialized",
                            f"containers with incomplete status: [{' '.join(init_left)}]"),
            self._condition("Ready", not unready, ready_reason, ready_message),
            self._condition("ContainersReady", not unready, ready_reason, ready_message),
            self._condition("PodScheduled", True),
        ]

    def status(self) -> dict:
        status: dict[str, Any] = {
            "phase": self.phase, "conditions": self._conditions(), "hostIP": POD_IP,
            "hostIPs": [{"ip": POD_IP}], "podIP": POD_IP, "podIPs": [{"ip": POD_IP}],
            "startTime": self.start_time,
            "containerStatuses": [c.status() for c in self.containers if not c.init]}
        init = [c.status() for c in self.containers if c.init]
        if init:
            status["initContainerStatuses"] = init
        if self.reason:
            status.update(reason=self.reason, message=self.message)
        return status

    def _report(self) -> None:
        status = self.status()
        if status == self.reported:
            return
        try:
            self.ctx.api.patch_pod_status(self.pod, status)
        except API_ERRORS as exc:
            log.warning("status of %s not reported: %s", self.pod["metadata"]["name"], exc)
            return
        self.reported = status
