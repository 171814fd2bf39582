"""Discovery's pure half: the platform's objects (as the platform fixture writes them) turned
into the deployment description and the platform findings, each fault with its code."""

import base64
import copy

import pytest

from mlflow_conformance.cluster import discovery, platform_checks
from mlflow_conformance.findings import Outcome
from mlflow_conformance.stack import seaweed
from mlflow_conformance.stack.lifecycle import StackState
from tests.kube.platform import Platform

STACK = StackState("/nonexistent", "proxied", 5001, 8333, 5432, "pg-secret-password",
                   seaweed.make_identities())


def discovered(platform=None, **changes):
    objects = (platform or Platform(STACK)).objects()
    by_kind: dict[str, dict[tuple[str | None, str], dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[(obj["metadata"].get("namespace"),
                                             obj["metadata"]["name"])] = copy.deepcopy(obj)
    found = discovery.Discovered("ilum")
    found.deployment = by_kind["Deployment"][("ilum", "ilum-mlflow")]
    found.service = by_kind["Service"][("ilum", "ilum-mlflow-tracking")]
    found.endpoints = by_kind["Endpoints"][("ilum", "ilum-mlflow-tracking")]
    secrets = by_kind["Secret"]
    for name in discovery.referenced_secrets(found.deployment):
        secret = secrets.get(("ilum", name))
        found.server_secrets[name] = None if secret is None else sorted(secret["data"])
    found.job_settings["ilum"] = {
        "configmap/ilum-mlflow-job-env":
            by_kind["ConfigMap"][("ilum", "ilum-mlflow-job-env")]["data"],
        "secret/ilum-mlflow-job-credentials": {
            k: base64.b64decode(v).decode() for k, v in
            secrets[("ilum", "ilum-mlflow-job-credentials")]["data"].items()}}
    for key, value in changes.items():
        setattr(found, key, value)
    return found


def test_the_description_is_what_a_job_in_the_namespace_sees():
    described = discovery.describe(discovered(), "ilum", "ilum-mlflow-tracking", {})
    assert described.kind == "cluster"
    assert described.tracking_uri == "http://ilum-mlflow-tracking:5000"  # P5.1, as injected
    assert described.s3_endpoint == "http://ilum-minio.ilum.svc.cluster.local:9000"
    assert described.bucket == seaweed.BUCKET
    assert described.artifact_root == "mlflow-artifacts:/"
    assert described.spark_conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert described.driver_identity is None  # pods use what the platform injected


def test_secret_values_are_known_to_the_redactor_but_never_in_the_public_summary():
    found = discovered()
    admin = next(i for i in STACK.identities if i.name == "admin")
    assert admin.secret_key in found.secret_values()
    summary = repr(discovery.public(found))
    assert admin.secret_key not in summary
    assert "pg-secret-password" not in summary
    assert summary.count("AWS_SECRET_ACCESS_KEY") >= 1  # key names are kept


@pytest.mark.parametrize("words", [
    {"command": ["mlflow", "server"], "args": ["--backend-store-uri=postgresql://u:p@db/m",
                                               "--no-serve-artifacts"]},
    {"command": ["/bin/sh", "-c"], "args": ["exec mlflow server --backend-store-uri "
                                            "postgresql://u:p@db/m --no-serve-artifacts"]},
])
def test_server_flags_are_read_from_args_or_a_shell_line(words):
    flags = discovery.server_settings(words)
    assert flags["--backend-store-uri"] == "postgresql://u:p@db/m"
    assert flags["--no-serve-artifacts"] is True


def test_a_flag_from_a_secret_is_shown_as_its_reference():
    flags = discovery.server_settings(discovery.server_container(discovered().deployment))
    assert flags["--backend-store-uri"] == "(secret ilum-mlflow-db/uri)"
    assert flags["--serve-artifacts"] is True


def test_the_healthy_platform_passes_every_platform_check():
    found = discovered()
    for judge in (platform_checks.judge_deployment, platform_checks.judge_service,
                  platform_checks.judge_secrets):
        finding = judge(found)
        assert (finding.outcome, finding.code) == (Outcome.PASS, "ok"), finding.message


def _unavailable(found):
    found.deployment["status"] = {"replicas": 1}


def _no_backend(found):
    found.deployment["spec"]["template"]["spec"]["containers"][0]["env"] = []


def _node_port(found):
    found.service["spec"]["type"] = "NodePort"


def _port(found):
    found.service["spec"]["ports"][0]["port"] = 80


def _no_endpoints(found):
    found.endpoints = {"subsets": []}


def _db_secret_gone(found):
    found.server_secrets["ilum-mlflow-db"] = None


def _key_gone(found):
    found.server_secrets["ilum-mlflow-s3"] = ["AWS_ACCESS_KEY_ID"]


def _job_key_gone(found):
    del found.job_settings["ilum"]["configmap/ilum-mlflow-job-env"]["MLFLOW_TRACKING_URI"]


def _job_settings_gone(found):
    found.job_settings["ilum"]["secret/ilum-mlflow-job-credentials"] = None


@pytest.mark.parametrize(("judge", "fault", "code"), [
    (platform_checks.judge_deployment, lambda f: setattr(f, "deployment", None),
     "deployment_missing"),
    (platform_checks.judge_deployment, _unavailable, "deployment_unavailable"),
    (platform_checks.judge_deployment, _no_backend, "deployment_misconfigured"),
    (platform_checks.judge_service, lambda f: setattr(f, "service", None), "service_missing"),
    (platform_checks.judge_service, _node_port, "service_exposed"),
    (platform_checks.judge_service, _port, "service_port_wrong"),
    (platform_checks.judge_service, _no_endpoints, "service_no_endpoints"),
    (platform_checks.judge_secrets, _db_secret_gone, "secret_missing"),
    (platform_checks.judge_secrets, _key_gone, "secret_key_missing"),
    (platform_checks.judge_secrets, _job_settings_gone, "secret_missing"),
    (platform_checks.judge_secrets, _job_key_gone, "secret_key_missing"),
])
def test_each_platform_fault_has_its_code(judge, fault, code):
    found = discovered()
    fault(found)
    finding = judge(found)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, code)
    assert finding.remedy


@pytest.mark.parametrize(("judge", "resource"), [
    (platform_checks.judge_deployment, "deployments"),
    (platform_checks.judge_service, "services"),
    (platform_checks.judge_secrets, "secrets")])
def test_a_refused_read_is_a_harness_error_not_a_platform_failure(judge, resource):
    found = discovered(denied={resource: "HTTP 403: Forbidden"})
    finding = judge(found)
    assert (finding.outcome, finding.code) == (Outcome.ERROR, "permission_missing")
