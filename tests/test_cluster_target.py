"""`pytest --cluster` end to end: the harness talks only through the kubernetes client to the
API server double, the node double runs its probe pods for real, and the platform's objects
point at the session's embedded stack. The verdicts for connectivity and S3 are the local
target's, observed from pods; each fault gives its own code; nothing of the run is left."""

from __future__ import annotations

import pytest

from tests.cluster_double import running_cluster
from tests.kube.ingress import IngressDouble
from tests.kube.platform import Platform
from tests.test_report_browser import render_in_browser

CONNECTIVITY = ("NET-001", "NET-002", "NET-003", "NET-004", "NET-005")
VERSIONS = ("CMP-001", "CMP-002", "CMP-003", "CMP-004", "CMP-006")
TOKEN = "platform-login-token"
S3 = ("STO-001", "STO-002")
PLATFORM = ("PLT-001", "PLT-002", "PLT-003")
SUITES = ("suites/test_connectivity.py", "suites/test_storage.py", "suites/test_platform.py",
          "suites/test_compatibility.py")


def platform_login(headers):
    """The platform's auth service, as the ingress asks it: the user's bearer token."""
    return headers.get("Authorization") == f"Bearer {TOKEN}"


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path) as running:
        yield running


@pytest.mark.fault("PLT-005", "service_reachable_outside")
def test_a_healthy_platform_conforms_as_observed_from_probe_pods(cluster, stack):
    platform = Platform(stack)
    cluster.install(platform)
    with IngressDouble(cluster.kubeconfig, platform_login) as ingress:
        run = cluster.run(platform, *SUITES, f"--ingress-url={ingress.url}",
                          env={"MLFLOW_TRACKING_TOKEN": TOKEN})
    verdicts = run.verdicts(*CONNECTIVITY, *S3, *VERSIONS, "PLT-001", "PLT-002", "PLT-003",
                            "PLT-004")
    assert verdicts == {rid: ("pass", "ok") for rid in verdicts}, run.done.stdout[:6000]
    found = run.by_requirement()
    # Observed from inside a pod: the injected short name resolved to the Service's address.
    dns = found["NET-001"]["evidence"]
    assert dns["host"] == "ilum-mlflow-tracking"
    assert dns["namespace"] == "ilum"
    assert all(a.startswith("127.") and a != "127.0.0.1" for a in dns["addresses"])
    # The versions are the image's (this machine's Python, as the node double maps it).
    assert run.results["environment"]["spark_driver"]["packages"]["mlflow"] == \
        stack.mlflow_version
    # Through the ingress: refused without the token, the API's JSON with it.
    ingress_evidence = found["PLT-004"]["evidence"]
    assert ingress_evidence["anonymous"]["status"] == 401
    assert ingress_evidence["with_credentials"]["status"] == 200
    # The node double shares the host's network, so the Service's ClusterIP (on loopback)
    # is reachable from where the harness runs: a correct harness says so.
    assert run.verdicts("PLT-005")["PLT-005"] == ("fail", "service_reachable_outside")
    # What needs the harness's own process next to the server skips, saying why.
    assert found["STO-003"]["outcome"] == "skip"
    assert "driver pod" in found["STO-003"]["message"]
    assert run.results["target"]["platform"]["deployment"] == "ilum-mlflow"
    assert cluster.leftovers() == []


@pytest.mark.fault("PLT-004", "ingress_unauthenticated")
@pytest.mark.fault("PLT-004", "auth_required")
def test_an_ingress_without_authentication_and_a_wrong_token_have_their_codes(cluster, stack):
    platform = Platform(stack)
    cluster.install(platform)
    with IngressDouble(cluster.kubeconfig, platform_login) as ingress:
        wrong = cluster.run(platform, "suites/test_platform.py", "-k", "authentication",
                            f"--ingress-url={ingress.url}",
                            env={"MLFLOW_TRACKING_TOKEN": "stolen-or-stale"})
        networking = cluster.client("NetworkingV1Api")
        networking.patch_namespaced_ingress("ilum-mlflow", "ilum", {"metadata": {
            "annotations": {"nginx.ingress.kubernetes.io/auth-url": None}}})
        open_ingress = cluster.run(platform, "suites/test_platform.py", "-k", "authentication",
                                   f"--ingress-url={ingress.url}")
    assert wrong.verdicts("PLT-004")["PLT-004"] == ("fail", "auth_required")
    assert open_ingress.verdicts("PLT-004")["PLT-004"] == ("fail", "ingress_unauthenticated")


@pytest.mark.fault("NET-001", "dns_unresolvable")
def test_the_tracking_service_deleted_is_dns_unresolvable_from_the_pod(cluster, stack):
    platform = Platform(stack)
    cluster.install(platform)
    cluster.client().delete_namespaced_service("ilum-mlflow-tracking", "ilum")
    run = cluster.run(platform, "suites/test_connectivity.py")
    assert run.verdicts("NET-001")["NET-001"] == ("fail", "dns_unresolvable")
    assert cluster.leftovers() == []


@pytest.mark.fault("STO-001", "s3_no_credentials")
def test_a_key_missing_from_the_job_credentials_is_the_s3_credentials_code(cluster, stack):
    platform = Platform(stack, drop_job_keys=("AWS_SECRET_ACCESS_KEY",))
    cluster.install(platform)
    run = cluster.run(platform, "suites/test_storage.py", "-k", "driver")
    assert run.verdicts("STO-001")["STO-001"] == ("fail", "s3_no_credentials")


@pytest.mark.fault("STO-002", "s3_access_denied")
def test_a_read_only_executor_identity_is_denied_its_writes(cluster, stack):
    platform = Platform(stack, executor_identity="reader")
    cluster.install(platform)
    run = cluster.run(platform, "suites/test_storage.py", "-k", "driver or executor")
    assert run.verdicts(*S3) == {"STO-001": ("pass", "ok"),
                                 "STO-002": ("fail", "s3_access_denied")}


@pytest.mark.fault("NET-001", "image_pull_failed")
@pytest.mark.fault("STO-001", "image_pull_failed")
def test_an_image_that_does_not_pull_is_the_image_code(cluster, stack):
    platform = Platform(stack)
    cluster.install(platform)
    run = cluster.run(platform, "suites/test_connectivity.py", "suites/test_storage.py",
                      "-k", "not refused", "--probe-image=ilum/spark:0.0.0-missing")
    verdicts = run.verdicts(*CONNECTIVITY, *S3)
    assert verdicts == {rid: ("fail", "image_pull_failed") for rid in verdicts}
    assert "ilum/spark:0.0.0-missing" in run.by_requirement()["NET-001"]["message"]
    assert cluster.leftovers() == []


@pytest.mark.fault("NET-001", "pod_unschedulable")
def test_a_pod_that_never_schedules_is_reported_within_its_bound(tmp_path, stack):
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    with running_cluster(tmp_path, taints=[taint]) as cluster:
        platform = Platform(stack)
        cluster.install(platform)
        run = cluster.run(platform, "suites/test_connectivity.py", "--pod-timeout=3")
        assert run.verdicts("NET-001")["NET-001"] == ("fail", "pod_unschedulable")
        assert "taint" in run.by_requirement()["NET-001"]["message"]
        assert run.seconds < 60
        assert cluster.leftovers() == []


@pytest.mark.fault("NET-001", "permission_missing")
def test_a_low_privilege_identity_errors_exactly_the_checks_that_need_pods(cluster, stack):
    platform = Platform(stack)
    cluster.install(platform)
    reader = [{"verbs": ["get", "list"], "apiGroups": ["", "apps", "networking.k8s.io"],
               "resources": ["*"]}]
    cluster.api.add_user("reader-token", "support-engineer", reader)
    kubeconfig = cluster.api.kubeconfig(cluster.folder / "reader-kubeconfig",
                                        token="reader-token")
    run = cluster.run(platform, *SUITES, kubeconfig=kubeconfig)
    verdicts = run.verdicts(*CONNECTIVITY, *S3, *PLATFORM)
    assert {rid: verdicts[rid] for rid in (*CONNECTIVITY, *S3)} == {
        rid: ("error", "permission_missing") for rid in (*CONNECTIVITY, *S3)}
    assert {rid: verdicts[rid] for rid in PLATFORM} == {rid: ("pass", "ok") for rid in PLATFORM}
    assert "create pods in ilum" in run.by_requirement()["NET-001"]["message"]
    assert cluster.api.objects("pods") == []


@pytest.mark.fault("PLT-001", "deployment_missing")
@pytest.mark.fault("PLT-002", "service_exposed")
def test_a_missing_deployment_and_an_exposed_service_have_their_codes(cluster, stack):
    platform = Platform(stack, service_type="NodePort")
    cluster.install(platform)
    cluster.client("AppsV1Api").delete_namespaced_deployment("ilum-mlflow", "ilum")
    run = cluster.run(platform, "suites/test_platform.py")
    assert run.verdicts("PLT-001", "PLT-002") == {"PLT-001": ("fail", "deployment_missing"),
                                                  "PLT-002": ("fail", "service_exposed")}


@pytest.mark.fault("PLT-003", "secret_key_missing")
def test_a_key_missing_from_the_server_secret_is_named(cluster, stack):
    platform = Platform(stack)
    cluster.install(platform)
    core = cluster.client()
    secret = core.read_namespaced_secret("ilum-mlflow-s3", "ilum")
    del secret.data["AWS_SECRET_ACCESS_KEY"]
    core.replace_namespaced_secret("ilum-mlflow-s3", "ilum", secret)
    run = cluster.run(platform, "suites/test_platform.py")
    assert run.verdicts("PLT-003")["PLT-003"] == ("fail", "secret_key_missing")
    assert "AWS_SECRET_ACCESS_KEY" in run.by_requirement()["PLT-003"]["message"]


@pytest.mark.fault("ISO-001", "policy_not_enforced")
def test_an_outsider_connecting_against_the_policy_is_policy_not_enforced(cluster, stack):
    # The node double enforces no NetworkPolicy (as flannel alone would not): the policies
    # say the outsider namespace is denied, the outsider's probe pod connects anyway.
    platform = Platform(stack)
    cluster.install(platform)
    run = cluster.run(platform, "suites/test_isolation.py")
    result = run.by_requirement()["ISO-001"]
    assert (result["outcome"], result["code"]) == ("fail", "policy_not_enforced")
    cells = {c["source"].split("/")[0]: c for c in result["evidence"]["truth_table"]}
    assert (cells["ilum"]["expected"], cells["ilum"]["observed"]) == ("allowed", "allowed"), cells
    assert cells["ilum"]["decided_by"] == "ilum/ilum-mlflow-tracking"
    assert (cells["default"]["expected"], cells["default"]["observed"]) == ("denied", "allowed")
    assert cells["default"]["right"] is False
    assert cells["default"]["tries"] == 3  # a mismatch is retried before it is judged
    assert result["evidence"]["policies"] == ["ilum-mlflow-tracking"]
    assert cluster.leftovers() == []
    # The same table in report.html, as Chromium renders it: one green and one red cell.
    shown = render_in_browser(run.report / "report.html", run.report / "report.png")
    assert shown.console == []
    table = shown.dom[shown.dom.index('<table class="truth" id="truth-ISO-001">'):]
    table = table[:table.index("</table>")]
    assert table.count('class="cell-right"') == 1
    assert table.count('class="cell-wrong"') == 1
    assert "expected <b>denied</b> · observed <b>allowed</b>" in table
    assert 'href="#isolation"' in shown.dom


@pytest.mark.fault("ISO-001", "policy_allows_outsiders")
def test_a_ports_only_policy_allows_outsiders(cluster, stack):
    platform = Platform(stack, ports_only_policy=True)
    cluster.install(platform)
    run = cluster.run(platform, "suites/test_isolation.py")
    result = run.by_requirement()["ISO-001"]
    assert (result["outcome"], result["code"]) == ("fail", "policy_allows_outsiders")
    cells = {c["source"].split("/")[0]: c for c in result["evidence"]["truth_table"]}
    assert cells["default"]["expected"] == "allowed"
    assert "ilum/ilum-mlflow-tracking" in result["message"]
