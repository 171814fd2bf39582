"""Versions of what runs where: mlflow on driver and executors against the server, the
logged-models API, Python, pyspark against the JVM, client packages (P4.1, P4.2, P10.3).

The driver's side needs no Spark session (--profile smoke starts none); the executors' and
the JVM's do."""

import pytest

from mlflow_conformance.compat import env_policy, versions


@pytest.mark.requirement("CMP-001")
def test_driver_mlflow_matches_the_server(driver_environment, tracking_server_facts, check):
    client = driver_environment["packages"]["mlflow"]
    check(versions.judge_client(client, tracking_server_facts, "driver"))


@pytest.mark.requirement("CMP-002")
def test_executor_mlflow_matches_the_server(runtime_environments, tracking_server_facts, check):
    check(env_policy.with_executors(runtime_environments, lambda _driver, envs: (
        versions.judge_clients([(f"executor {e['executable']}", e["packages"]["mlflow"])
                                for e in envs], tracking_server_facts))))


@pytest.mark.requirement("CMP-003")
def test_server_has_the_logged_models_api(driver_environment, tracking_server_facts, check):
    client = driver_environment["packages"]["mlflow"]
    check(versions.judge_logged_models(client, tracking_server_facts))


@pytest.mark.requirement("CMP-004")
def test_driver_and_executors_run_the_same_python(runtime_environments, check):
    check(env_policy.with_executors(runtime_environments, env_policy.judge_python))


@pytest.mark.requirement("CMP-005")
def test_pyspark_matches_the_jvm(runtime_environments, jvm_spark, check):
    pyspark = runtime_environments["driver"]["packages"]["pyspark"]
    check(env_policy.judge_spark(pyspark, jvm_spark))


@pytest.mark.requirement("CMP-006")
def test_client_packages_are_alike_on_driver_and_executors(runtime_environments, check):
    check(env_policy.with_executors(runtime_environments, env_policy.judge_packages))
