"""A test cluster: the API server double, a node double that runs the pods, and the
platform's objects (tests/kube/platform.py) pointing at the session's embedded stack — and a
harness run against it, as a platform engineer runs `pytest --cluster`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.inner_session import ROOT
from tests.kube.apiserver import ApiServer
from tests.kube.node import NodeDouble
from tests.kube.pki import CertificateAuthority
from tests.kube.platform import Platform

RUN_LABEL_KEY = "mlflow-conformance/run-id"


@dataclass
class ClusterDouble:
    api: ApiServer
    node: NodeDouble
    kubeconfig: Path
    folder: Path

    def install(self, platform: Platform) -> None:
        """What `helm upgrade --set mlflow.enabled=true` would have created; a status the
        objects carry is written as their controller would, through the status subresource
        (a create ignores it, as a real API server does)."""
        for obj in platform.objects():
            status = obj.pop("status", None)
            self.api.seed(obj)
            if status and obj["kind"] == "Deployment":
                self.client("AppsV1Api").patch_namespaced_deployment_status(
                    obj["metadata"]["name"], obj["metadata"]["namespace"], {"status": status})

    def client(self, api: str = "CoreV1Api") -> Any:
        """A kubernetes client API on the admin kubeconfig: how a test changes the cluster,
        as a user would with kubectl."""
        from kubernetes import client, config

        return getattr(client, api)(config.new_client_from_config(str(self.kubeconfig)))

    def leftovers(self) -> list[str]:
        """Objects that carry a run label, in any namespace (none may survive a run)."""
        found = []
        for resource in ("pods", "secrets", "configmaps"):
            for obj in self.api.objects(resource, label_selector=RUN_LABEL_KEY):
                meta = obj["metadata"]
                found.append(f"{resource}/{meta.get('namespace')}/{meta['name']}")
        return found

    def run(self, platform: Platform, *args: str, kubeconfig: Path | None = None,
            env: dict[str, str] | None = None, timeout: float = 240) -> Run:
        report = self.folder / f"report-{time.monotonic_ns()}"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig or self.kubeconfig),
               "TMPDIR": str(self.folder), **(env or {})}
        env.pop("MLFLOW_CONFORMANCE_STACK_POINTER", None)
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
             *platform.harness_args(), f"--report-dir={report}", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        return Run(done, report, time.monotonic() - began)


@dataclass
class Run:
    done: subprocess.CompletedProcess[str]
    report: Path
    seconds: float

    @property
    def results(self) -> dict[str, Any]:
        path = self.report / "results.json"
        assert path.exists(), self.done.stdout[-4000:] + self.done.stderr[-4000:]
        return dict(json.loads(path.read_text()))

    def by_requirement(self) -> dict[str, dict[str, Any]]:
        return {t["requirements"][0]: t for t in self.results["tests"]}

    def verdicts(self, *ids: str) -> dict[str, tuple[str, str]]:
        found = self.by_requirement()
        return {rid: (found[rid]["outcome"], found[rid]["code"]) for rid in ids}


@contextmanager
def running_cluster(folder: Path, **node_options: Any) -> Iterator[ClusterDouble]:
    ca = CertificateAuthority(folder / "pki")
    with ApiServer(folder / "api", kubelet_ca_file=ca.ca_file) as api:
        kubeconfig = api.kubeconfig(folder / "kubeconfig")
        with NodeDouble(kubeconfig, folder / "node", ca, **node_options) as node:
            yield ClusterDouble(api, node, kubeconfig, folder)
