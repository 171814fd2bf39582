"""The version skew policy as pure functions of recorded evidence."""

import pytest

from mlflow_conformance.compat import env_policy, versions
from mlflow_conformance.findings import Outcome


def facts(version="3.17.2", status=200, logged_models=200):
    return {"version": {"status": status, "body_start": version},
            "logged_models_search": {"status": logged_models, "body_start": "{}"}}


@pytest.mark.parametrize(("text", "parsed"), [
    ("3.17.2", (3, 17, 2)), ("2.22.5\n", (2, 22, 5)), ("3.10.0rc0", (3, 10, 0)),
    ("<html>", None), ("", None), (None, None),
])
def test_versions_parse(text, parsed):
    assert versions.parse(text) == parsed


@pytest.mark.parametrize(("client", "server", "outcome", "code"), [
    ("3.17.2", "3.17.2", Outcome.PASS, "ok"),
    ("3.10.0", "3.17.2", Outcome.PASS, "ok"),
    ("3.17.2", "3.10.1", Outcome.WARN, "client_newer_minor"),
    ("3.17.2", "2.22.5", Outcome.FAIL, "version_skew"),
    ("2.22.0", "3.17.2", Outcome.FAIL, "version_skew"),
    (None, "3.17.2", Outcome.FAIL, "package_missing"),
    ("3.17.2", "Welcome to the gateway", Outcome.FAIL, "not_mlflow_version"),
])
def test_client_against_server(client, server, outcome, code):
    finding = versions.judge_client(client, facts(server), "driver")
    assert (finding.outcome, finding.code) == (outcome, code)


def test_a_non_200_version_answer_is_an_http_error():
    assert versions.judge_client("3.17.2", facts(status=502), "driver").code == "http_error"


def test_several_executor_environments_report_the_worst():
    finding = versions.judge_clients([("a", "3.17.2"), ("b", "2.22.5")], facts())
    assert finding.code == "version_skew"
    assert len(finding.evidence["all"]) == 2


@pytest.mark.parametrize(("client", "status", "code"), [
    ("3.17.2", 200, "ok"), ("3.17.2", 404, "logged_models_missing"),
    ("3.17.2", 500, "http_error"), ("2.22.5", 404, "ok"),
])
def test_logged_models_api(client, status, code):
    assert versions.judge_logged_models(client, facts(logged_models=status)).code == code


@pytest.mark.parametrize(("pyspark", "jvm", "outcome"), [
    ("3.5.3", "3.5.3", Outcome.PASS), ("3.5.1", "3.5.3", Outcome.WARN),
    ("3.4.1", "3.5.3", Outcome.FAIL), (None, "3.5.3", Outcome.FAIL),
])
def test_pyspark_against_the_jvm(pyspark, jvm, outcome):
    assert env_policy.judge_spark(pyspark, jvm).outcome is outcome


def env(python="3.11.7", **packages):
    base = {name: "1.0" for name in versions.EVIDENCE_PACKAGES}
    return {"python": python, "python_minor": ".".join(python.split(".")[:2]), "host": "h",
            "executable": f"/py{python}", "packages": {**base, **packages}}


def test_python_minor_must_match_patch_may_differ():
    assert env_policy.judge_python(env(), [env("3.11.2")]).outcome is Outcome.PASS
    assert env_policy.judge_python(env(), [env("3.12.1")]).code == "python_mismatch"


def test_packages_missing_and_drifting():
    assert env_policy.judge_packages(env(), [env()]).outcome is Outcome.PASS
    drift = env_policy.judge_packages(env(), [env(pandas="2.2.0")])
    assert (drift.outcome, drift.code) == (Outcome.WARN, "package_drift")
    assert env_policy.judge_packages(env(), [env(boto3=None)]).code == "package_missing"
