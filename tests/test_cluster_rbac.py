"""The permissions of the diagnostics bundle under --cluster: read-only (get and list), never
a Secret, in the Role `rbac` prints — also the read-only (smoke) one — in every namespace the
bundle reads; the printed YAML is what `kubectl apply` takes."""

from __future__ import annotations

import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

from mlflow_conformance.bundle.cluster import cluster_collectors
from mlflow_conformance.cluster import dry_run, rbac
from tests.inner_session import ROOT


def test_the_bundle_only_reads_and_never_a_secret():
    assert rbac.BUNDLE
    for permission in rbac.BUNDLE:
        assert permission.verb in ("get", "list"), permission
        assert not permission.writes, permission
        assert permission.resource != "secrets", permission
    # Every permission a cluster collector names is one the printed Role grants.
    named = {c.permission for c in cluster_collectors() if hasattr(c, "permission")}
    named |= {c.jobs_permission for c in cluster_collectors() if hasattr(c, "jobs_permission")}
    assert named | {rbac.DEPLOYMENT, rbac.SERVER_PODS, rbac.SERVER_LOGS} <= set(rbac.ALL)


@pytest.mark.parametrize("profile", ["full", "smoke"])
def test_the_printed_roles_grant_the_bundles_reads_everywhere_it_reads(profile):
    done = subprocess.run([sys.executable, "-m", "mlflow_conformance", "rbac",
                           "--namespace", "ilum", "--job-namespaces", "ilum,spark-jobs",
                           "--profile", profile], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    documents = list(yaml.safe_load_all(done.stdout))
    for document in documents:
        kubernetes_validate.validate(document, dry_run.SCHEMA_VERSION, strict=True)
    granted = {(d["metadata"].get("namespace", ""), group, resource, verb)
               for d in documents if d["kind"] in ("Role", "ClusterRole")
               for rule in d["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"] for verb in rule["verbs"]}
    for namespace in ("ilum", "spark-jobs", "default"):  # the platform's, jobs', outsider's
        assert (namespace, "", "events", "list") in granted
        assert (namespace, "networking.k8s.io", "networkpolicies", "list") in granted
    assert {("ilum", "", "pods", "list"), ("ilum", "", "pods/log", "get"),
            ("ilum", "apps", "deployments", "get"), ("ilum", "", "services", "get"),
            ("ilum", "", "endpoints", "get"),
            ("ilum", "networking.k8s.io", "ingresses", "list")} <= granted
    if profile == "smoke":  # the read-only Role writes nothing, yet the bundle may read
        assert {verb for *_, verb in granted} == {"get", "list"}
