"""The findings over the tracking Service (policy_allows_outsiders, policy_blocks_platform,
egress_blocks_dns), the expected truth table, and reading workloads from manifests."""

from __future__ import annotations

import json
from typing import Any

from mlflow_conformance.netpol.analysis import (
    allows_outsiders,
    analyse,
    blocks_dns,
    blocks_platform,
)
from mlflow_conformance.netpol.inventory import Inventory
from mlflow_conformance.netpol.loading import inventory_of, objects_in
from mlflow_conformance.netpol.model import Namespace, Pod, Service, ServicePort
from mlflow_conformance.netpol.policy import parse_policy
from mlflow_conformance.netpol.table import Target, truth_table
from tests.netpol_helpers import netpol

PLATFORM = ("ilum", "spark")
MLFLOW = Pod("ilum", "mlflow-0", {"app": "mlflow"}, "10.2.0.5", {"http": (5000, "TCP")})
DRIVER = Pod("spark", "job-driver", {"spark-role": "driver"}, "10.2.1.7")
TEAM = Pod("team-x", "notebook", {"app": "jupyter"}, "10.2.2.9")
TRACKING = Service("ilum", "mlflow-tracking", {"app": "mlflow"}, (ServicePort(5000, "http"),))
TARGET = Target(TRACKING, 5000)
NAMESPACES = [Namespace("ilum"), Namespace("spark"), Namespace("team-x")]
TO_MLFLOW = {"podSelector": {"matchLabels": {"app": "mlflow"}}}
PLATFORM_ONLY = netpol("mlflow-platform", {**TO_MLFLOW, "ingress": [{"from": [
    {"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                                                 "operator": "In", "values": list(PLATFORM)}]}}
]}]}, namespace="ilum")
PORTS_ONLY = netpol("mlflow-ports", {**TO_MLFLOW, "ingress": [{"ports": [{"port": 5000}]}]},
                    namespace="ilum")


def world(*policies: dict[str, Any], pods: list[Pod] | None = None) -> Inventory:
    return Inventory.of([parse_policy(p) for p in policies],
                        [MLFLOW, DRIVER, TEAM] if pods is None else pods, NAMESPACES, [TRACKING])


def test_platform_only_policy_has_no_findings() -> None:
    assert analyse(world(PLATFORM_ONLY), PLATFORM, [TARGET]) == []


def test_ports_only_policy_allows_outsiders() -> None:
    [finding] = allows_outsiders(world(PORTS_ONLY), PLATFORM, TARGET)
    assert finding.code == "policy_allows_outsiders"
    assert finding.evidence["policies"] == ["ilum/mlflow-ports"]
    assert finding.evidence["rules"] == ["ilum/mlflow-ports ingress rule 0"]
    assert finding.evidence["sources"] == ["team-x/notebook", "netpol-outsider/unlabelled-pod",
                                           "netpol-outsider/copy-of-0",
                                           "netpol-outsider/copy-of-1"]


def test_no_policy_at_all_allows_outsiders_not_isolated() -> None:
    [finding] = allows_outsiders(world(), PLATFORM, TARGET)
    assert finding.evidence["policies"] == []
    assert "no policy selects the destination: not isolated" in finding.message


def test_empty_namespace_selector_admits_outsiders_copying_labels() -> None:
    """Anyone may label their own pods spark-role=driver: only the copy gets in."""
    any_namespace = netpol("mlflow-drivers", {**TO_MLFLOW, "ingress": [{"from": [
        {"namespaceSelector": {}, "podSelector": {"matchLabels": {"spark-role": "driver"}}}]}]},
        namespace="ilum")
    [finding] = allows_outsiders(world(any_namespace), PLATFORM, TARGET)
    assert finding.evidence["sources"] == ["netpol-outsider/copy-of-1"]
    assert finding.evidence["rules"] == ["ilum/mlflow-drivers ingress rule 0"]


def test_policy_admitting_only_ilum_blocks_spark() -> None:
    own_namespace = netpol("mlflow-own-ns", {**TO_MLFLOW, "ingress": [
        {"from": [{"podSelector": {}}]}]}, namespace="ilum")
    inventory = world(own_namespace)
    assert allows_outsiders(inventory, PLATFORM, TARGET) == []
    [finding] = blocks_platform(inventory, PLATFORM, TARGET)
    assert finding.code == "policy_blocks_platform"
    assert finding.evidence["sources"] == ["spark/job-driver"]
    assert finding.evidence["policies"] == ["ilum/mlflow-own-ns"]


def test_platform_namespace_without_known_pods_is_tried_with_an_unlabelled_pod() -> None:
    deny_spark = netpol("mlflow-ilum", {**TO_MLFLOW, "ingress": [{"from": [{"podSelector": {}}]}]},
                        namespace="ilum")
    [finding] = blocks_platform(world(deny_spark, pods=[MLFLOW]), PLATFORM, TARGET)
    assert finding.evidence["sources"] == ["spark/unlabelled-pod"]


DENY_EGRESS_BUT_MLFLOW = netpol("spark-egress", {"podSelector": {}, "policyTypes": ["Egress"],
                                                 "egress": [{"to": [{"namespaceSelector": {
                                                     "matchLabels": {
                                                         "kubernetes.io/metadata.name": "ilum"}}}
                                                 ]}]}, namespace="spark")


def dns_rule(protocol: str) -> dict[str, Any]:
    return netpol(f"spark-dns-{protocol.lower()}", {"podSelector": {}, "egress": [{
        "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"port": 53, "protocol": protocol}]}]}, namespace="spark")


def test_default_deny_egress_without_dns_blocks_dns() -> None:
    [finding] = blocks_dns(world(DENY_EGRESS_BUT_MLFLOW), PLATFORM)
    assert finding.code == "egress_blocks_dns"
    assert finding.evidence == {"sources": {"spark/job-driver": {
        "policies": ["spark/spark-egress"], "tcp_53_allowed": False}},
        "policies": ["spark/spark-egress"], "dns": ["kube-system/coredns"]}


def test_dns_over_udp_allowed_is_no_finding() -> None:
    assert blocks_dns(world(DENY_EGRESS_BUT_MLFLOW, dns_rule("UDP")), PLATFORM) == []


def test_dns_over_tcp_only_still_blocks_resolution() -> None:
    [finding] = blocks_dns(world(DENY_EGRESS_BUT_MLFLOW, dns_rule("TCP")), PLATFORM)
    assert finding.evidence["sources"]["spark/job-driver"]["tcp_53_allowed"] is True


def test_truth_table_cells_and_json() -> None:
    table = truth_table(world(PLATFORM_ONLY), [DRIVER, TEAM], [TARGET, Target(MLFLOW, 22)])
    assert table.columns == ["service ilum/mlflow-tracking:5000/TCP", "ilum/mlflow-0:22/TCP"]
    cell = table.cell("spark/job-driver", "service ilum/mlflow-tracking:5000/TCP")
    assert (cell.allowed, cell.policy, cell.direction, cell.rule) == (
        True, "ilum/mlflow-platform", "Ingress", 0)
    denied = table.cell("team-x/notebook", "ilum/mlflow-0:22/TCP")
    assert (denied.allowed, denied.policy) == (False, None)
    assert denied.reason.startswith("ingress: policy ilum/mlflow-platform selects the "
                                    "destination ilum/mlflow-0 for ingress and none")
    assert json.loads(json.dumps(table.to_json()))["cells"][1][1]["allowed"] is False


def test_workloads_pods_and_services_from_objects() -> None:
    objects = list(objects_in([
        {"kind": "PodList", "items": [{"kind": "Pod", "metadata": {
            "name": "p", "namespace": "ilum", "labels": {"app": "x", "v": 2}},
            "spec": {"containers": [{"ports": [{"name": "dns", "containerPort": 53,
                                                "protocol": "UDP"}]}]},
            "status": {"podIP": "10.0.0.9"}}]},
        {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {
            "template": {"metadata": {"labels": {"job": "nightly"}}}}}}},
        {"kind": "ConfigMap", "metadata": {"name": "ignored"}},
        None]))
    inventory = inventory_of(objects, default_namespace="spark")
    assert inventory.pods == [
        Pod("ilum", "p", {"app": "x", "v": "2"}, "10.0.0.9", {"dns": (53, "UDP")}),
        Pod("spark", "cronjob/nightly", {"job": "nightly"})]
