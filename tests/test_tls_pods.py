"""Under --cluster the CA bundles reach the probe pods as files, not as the harness's paths:
the node double really runs the pods (their own mounts, uid 185, no access to this machine's
pytest folders), so a probe verifying a private-CA server from a pod passes only with the PEM
shipped in its input Secret — for the connectivity probe (the tracking bundle) and for the s3
probe (the S3 bundle, inside its checks)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

from mlflow_conformance.cluster import manifests
from mlflow_conformance.cluster.kube import Kube, connect
from mlflow_conformance.cluster.probe_pods import PodPlan, PodProbes
from mlflow_conformance.deployment import Deployment
from mlflow_conformance.storage import s3_access, s3_matrix
from tests.cluster_double import ClusterDouble, running_cluster
from tests.tls_servers import PrivateCA, tls_proxy

NAMESPACE = "spark-jobs"
PLAN = PodPlan("ilum/spark:3.5.3-mlflow", "default", "default", (), (), 60)
TIMEOUT = 3.0


def port_of(url: str) -> int:
    return int(urlparse(url).port or 0)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    return PrivateCA(tmp_path_factory.mktemp("tls-pods-pki"), "private-pod-ca")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[ClusterDouble]:
    with running_cluster(tmp_path / "cluster") as running:
        running.api.seed({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": NAMESPACE}})
        yield running


@pytest.fixture
def pods(cluster: ClusterDouble, monkeypatch: pytest.MonkeyPatch) -> Iterator[PodProbes]:
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    kube: Kube = connect(None)
    probes = PodProbes(kube, "mc" + uuid.uuid4().hex[:12], PLAN)
    try:
        yield probes
    finally:
        assert probes.close() == []
        kube.close()


def test_a_connectivity_pod_verifies_a_private_ca_with_the_shipped_bundle(
        deployment: Deployment, ca: PrivateCA, pods: PodProbes,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with tls_proxy(port_of(deployment.tracking_uri), ca.issue("tracking")) as front:
        inputs = {"tracking_uri": front.url, "timeout": TIMEOUT,
                  "ca_bundle": str(ca.ca_file)}
        steps = {s["step"]: s for s in pods.run("connectivity", inputs,
                                                namespace=NAMESPACE)["steps"]}
        assert steps["health"]["outcome"] == "pass", steps["health"]
        assert steps["api"]["outcome"] == "pass", steps["api"]
        # Without the shipping the pod is handed this machine's path, which it cannot open.
        monkeypatch.setattr(manifests, "pod_inputs", lambda given: (dict(given), {}))
        steps = {s["step"]: s for s in pods.run("connectivity", inputs,
                                                namespace=NAMESPACE)["steps"]}
    health = steps["health"]
    assert (health["outcome"], health["code"]) == ("fail", "tls_handshake_failed")
    assert "could not load the CA bundle" in health["message"]


def test_an_s3_pod_verifies_a_private_ca_with_the_shipped_s3_bundle(
        deployment: Deployment, ca: PrivateCA, pods: PodProbes) -> None:
    assert deployment.s3_endpoint
    with tls_proxy(port_of(deployment.s3_endpoint), ca.issue("s3"), rewrite_host=False) as front:
        target = replace(deployment, s3_endpoint=front.url, s3_ca_bundle=str(ca.ca_file))
        check = s3_matrix.inputs(target, f"conformance/tls-pod-{uuid.uuid4().hex[:8]}/",
                                 "write", s3_matrix.credentials(deployment.driver_identity),
                                 TIMEOUT, large_bytes=4096)
        [result] = pods.run("s3", {"checks": [check]}, namespace=NAMESPACE)["checks"]
        finding = s3_access.judge_access(result, "admin", "driver pod")
        assert finding.outcome.value == "pass", finding.message
        # Without a bundle the pod's boto3 names the private CA (the probe's TLS code).
        [untrusted] = pods.run("s3", {"checks": [{**check, "ca_bundle": None}]},
                               namespace=NAMESPACE)["checks"]
    refused = s3_access.judge_access(untrusted, "admin", "driver pod")
    assert (refused.outcome.value, refused.code) == ("fail", "tls_untrusted"), refused.message
