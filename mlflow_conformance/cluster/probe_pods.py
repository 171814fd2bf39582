"""Probes run inside pods that look like the platform's Spark drivers and executors.

Per probe: a Secret with its inputs and the files they name (CA bundles: manifests.pod_inputs),
a pod that runs it (see manifests), the pod watched by polling within --pod-timeout, the
result read from the pod's log (the probe prints one JSON line), then both deleted. A
pod-level failure (image, settings, scheduling, crash, deadline) is raised as
:class:`PodFailed` carrying its finding. Several probes run at once, bounded.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from .. import progress
from ..findings import Finding, Outcome
from . import manifests, pod_state
from .kube import Kube, status_of

log = logging.getLogger("mlflow_conformance")
POLL_SECONDS = 0.25
# One probe pod to run: (probe, inputs, namespace, role); see cluster/probe_plan.py.
Job = tuple[str, dict[str, Any], str, str]
PARALLEL_PODS = 4
LOG_TAIL_LINES = 200
API_NAMES = {"pod": "pod", "secret": "secret", "configmap": "config_map"}


class PodFailed(RuntimeError):
    """The probe pod failed at the pod level; `finding` is the verdict for its probe."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass
class PodPlan:
    """How probe pods are made: from the settings, the same for every probe of a run."""

    image: str
    driver_account: str
    executor_account: str
    driver_settings: tuple[tuple[str, str], ...]
    executor_settings: tuple[tuple[str, str], ...]
    pod_timeout: float

    def account(self, role: str) -> str:
        # An outsider is any pod of another namespace: its default account, no settings.
        return {"executor": self.executor_account, "outsider": "default"}.get(
            role, self.driver_account)

    def settings(self, role: str) -> tuple[tuple[str, str], ...]:
        return {"executor": self.executor_settings, "outsider": ()}.get(
            role, self.driver_settings)


@dataclass
class ProbeObjects:
    """The manifests of a run's probes (pure: names come from the run id, the owner — the
    xdist worker — and a counter)."""

    run_id: str
    plan: PodPlan
    owner: str = field(default_factory=lambda: os.environ.get("PYTEST_XDIST_WORKER", "main"))
    _counter: Any = field(default_factory=itertools.count)

    def manifests(self, probe: str, inputs: dict[str, Any], namespace: str, role: str
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The Secret and the Pod of one probe (the ConfigMap is `code_manifest`)."""
        name = manifests.object_name(self.run_id, self.owner, probe, role,
                                     str(next(self._counter)))
        return (manifests.probe_input(self.run_id, namespace, name, inputs),
                self._pod(name, probe, namespace, role))

    def shape(self, probe: str, namespace: str, role: str) -> dict[str, Any]:
        """The Pod a probe would run as, for what selects pods by their labels (the
        isolation check's policies): no name is used up."""
        return self._pod(manifests.object_name(self.run_id, self.owner, probe, role),
                         probe, namespace, role)

    def _pod(self, name: str, probe: str, namespace: str, role: str) -> dict[str, Any]:
        return manifests.probe_pod(
            self.run_id, namespace, name, probe, role, image=self.plan.image,
            service_account=self.plan.account(role), settings=self.plan.settings(role),
            code=self.code_name, deadline=int(self.plan.pod_timeout))

    def code_manifest(self, namespace: str) -> dict[str, Any]:
        return manifests.probe_code(self.run_id, namespace, self.code_name)

    @property
    def code_name(self) -> str:
        return manifests.object_name(self.run_id, self.owner, "probes")


@dataclass
class PodProbes:
    kube: Kube
    run_id: str
    plan: PodPlan
    # Called with (kind, namespace, name) before each object is created: the cleanup ledger.
    record: Callable[[str, str, str], None] = lambda kind, namespace, name: None
    # Per namespace, the permissions the RBAC preflight found missing there: no pod is
    # tried in that namespace without them.
    missing: dict[str, list[str]] = field(default_factory=dict)
    # Called with (namespace, name, text) for each log read: the bundle keeps what the
    # harness read (the pod is deleted right after; its log is not read twice).
    on_log: Callable[[str, str, str], None] = lambda namespace, name, text: None
    _created: list[tuple[str, str, str]] = field(default_factory=list)
    _code_ready: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.objects = ProbeObjects(self.run_id, self.plan)

    # -- one probe -------------------------------------------------------------------------
    def run(self, probe: str, inputs: dict[str, Any], *, namespace: str,
            role: str = "driver") -> dict[str, Any]:
        missing = self.missing.get(namespace)
        if missing:
            raise PodFailed(Finding(
                Outcome.ERROR, "permission_missing", f"no probe pod was created: the harness "
                f"may not {'; '.join(missing)}", {"missing": missing},
                "apply the Role from `python -m mlflow_conformance rbac` (or run --profile "
                "smoke, which creates nothing)"))
        self._ensure_code(namespace)
        secret, pod = self.objects.manifests(probe, inputs, namespace, role)
        name = pod["metadata"]["name"]
        self._create("secret", namespace, secret)
        try:
            self._create("pod", namespace, pod)
            return self._result(namespace, name)
        finally:
            self._delete("pod", namespace, name)
            self._delete("secret", namespace, name)

    def run_many(self, jobs: Iterable[Job]) -> list[dict[str, Any] | PodFailed]:
        """(probe, inputs, namespace, role) each; results in order, a PodFailed in place of
        a result. At most PARALLEL_PODS pods at once: a cluster run is not N × start-up."""
        def one(job: Job) -> dict[str, Any] | PodFailed:
            probe, inputs, namespace, role = job
            try:
                return self.run(probe, inputs, namespace=namespace, role=role)
            except PodFailed as failed:
                return failed

        with ThreadPoolExecutor(PARALLEL_PODS, thread_name_prefix="probe-pod") as pool:
            futures = [pool.submit(one, job) for job in jobs]
            # Waited for here, not in the pool: the progress display draws from this thread.
            while True:
                done, pending = wait(futures, timeout=POLL_SECONDS)
                progress.update(f"{len(done)}/{len(futures)} pods finished")
                if not pending:
                    return [future.result() for future in futures]

    def _result(self, namespace: str, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.plan.pod_timeout
        while True:
            pod = self._read_pod(namespace, name)
            current = pod_state.state(pod, overdue=time.monotonic() > deadline)
            if current.failure is not None:
                raise PodFailed(current.failure)
            if current.done:
                break
            progress.update()  # the clock of the step waiting for this pod moves
            time.sleep(POLL_SECONDS)
        text = self._log(namespace, name)
        for line in reversed(text.strip().splitlines()):
            try:
                result = json.loads(line)
            except ValueError:
                continue
            if isinstance(result, dict):
                return result
        raise PodFailed(pod_state.crash(pod, text))

    # -- API calls -------------------------------------------------------------------------
    def _read_pod(self, namespace: str, name: str) -> dict[str, Any]:
        pod = self.kube.core.read_namespaced_pod(name, namespace, **self.kube.bound)
        return dict(self.kube.api.sanitize_for_serialization(pod))

    def _log(self, namespace: str, name: str) -> str:
        try:
            text = str(self.kube.core.read_namespaced_pod_log(
                name, namespace, container="probe", tail_lines=LOG_TAIL_LINES,
                **self.kube.bound))
        except Exception as exc:  # noqa: BLE001 - no log is a crash without lines
            log.warning("could not read the log of pod %s/%s: %s", namespace, name, exc)
            return ""
        self.on_log(namespace, name, text)
        return text

    def _create(self, kind: str, namespace: str, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        self.record(kind, namespace, name)
        with self._lock:
            self._created.append((kind, namespace, name))
        create = getattr(self.kube.core, f"create_namespaced_{API_NAMES[kind]}")
        create(namespace, body, **self.kube.bound)

    def _delete(self, kind: str, namespace: str, name: str) -> None:
        delete = getattr(self.kube.core, f"delete_namespaced_{API_NAMES[kind]}")
        try:
            # Grace 0: a probe pod holds nothing worth a graceful stop, and the run's cleanup
            # must not leave Terminating pods behind.
            delete(name, namespace, grace_period_seconds=0, **self.kube.bound)
        except Exception as exc:  # noqa: BLE001 - cleanup is best effort; close() retries
            if status_of(exc) != 404:
                log.warning("could not delete %s %s/%s: %s", kind, namespace, name, exc)
                return
        with self._lock:
            if (kind, namespace, name) in self._created:
                self._created.remove((kind, namespace, name))

    def _ensure_code(self, namespace: str) -> None:
        with self._lock:
            if namespace in self._code_ready:
                return
            self._code_ready.add(namespace)
        self._create("configmap", namespace, self.objects.code_manifest(namespace))

    def close(self) -> list[tuple[str, str, str]]:
        """Delete what is left (newest first); returns what could not be deleted."""
        for kind, namespace, name in reversed(list(self._created)):
            self._delete(kind, namespace, name)
        return list(self._created)
