"""`sweep --cluster` finds what a killed run left on a cluster by the harness's labels (probe
pods, their input Secrets, the probe-code ConfigMap) and removes exactly that."""

from __future__ import annotations

import os
import subprocess
import sys

from mlflow_conformance.cluster import manifests
from mlflow_conformance.cluster.probe_pods import PodPlan, ProbeObjects
from tests.inner_session import ROOT
from tests.kube.apiserver import ApiServer

PLAN = PodPlan("ilum/spark:3.5.3-mlflow", "default", "default", (), (), 30)


def sweep(kubeconfig, *args):
    return subprocess.run([sys.executable, "-m", "mlflow_conformance", "sweep", "--cluster",
                           "--namespace=ilum", "--job-namespaces=spark-jobs", *args],
                          cwd=ROOT, env={**os.environ, "KUBECONFIG": str(kubeconfig)},
                          capture_output=True, text=True, timeout=60, check=False)


def test_sweep_removes_what_a_killed_run_left_and_nothing_else(tmp_path):
    with ApiServer(tmp_path / "api") as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        for namespace in ("ilum", "spark-jobs"):
            api.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        left = ProbeObjects("mc20261203000000dead01", PLAN, owner="main")
        api.seed(left.code_manifest("spark-jobs"))
        for document in left.manifests("connectivity", {}, "spark-jobs", "driver"):
            api.seed(document)
        other = ProbeObjects("mc20261203000000live02", PLAN, owner="main")
        api.seed(other.code_manifest("ilum"))
        api.seed({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "platform-settings", "namespace": "ilum"}})

        listed = sweep(kubeconfig, "--dry-run")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.count("would remove k8s_object") == 4
        assert len(api.objects(label_selector=manifests.RUN_LABEL)) >= 4  # nothing removed

        only_dead = sweep(kubeconfig, "--run-id", "mc20261203000000dead01")
        assert only_dead.returncode == 0, only_dead.stderr
        remaining = {(o["kind"], o["metadata"]["name"])
                     for resource in ("pods", "secrets", "configmaps")
                     for o in api.objects(resource)
                     if o["metadata"].get("namespace") in ("ilum", "spark-jobs")}
        assert ("ConfigMap", other.code_name) in remaining
        assert ("ConfigMap", "platform-settings") in remaining
        assert not [name for _, name in remaining if "dead01" in name]
        assert sweep(kubeconfig).stdout.strip().splitlines() == [
            f"removed k8s_object configmap/ilum/{other.code_name} (run mc20261203000000live02)"]
