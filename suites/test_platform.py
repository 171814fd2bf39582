"""The platform's own objects, read through the Kubernetes API (P1.1, P3.2): the MLflow
Deployment, the tracking Service and the Secrets they are wired to. Only under --cluster."""

import pytest

from mlflow_conformance.cluster import platform_checks

pytestmark = pytest.mark.cluster_only


@pytest.mark.requirement("PLT-001")
def test_mlflow_deployment_is_available(platform_objects, check):
    check(platform_checks.judge_deployment(platform_objects))


@pytest.mark.requirement("PLT-002")
def test_tracking_service_is_cluster_internal_on_port_5000(platform_objects, check):
    check(platform_checks.judge_service(platform_objects))


@pytest.mark.requirement("PLT-003")
def test_secrets_are_present_with_their_keys(platform_objects, check):
    check(platform_checks.judge_secrets(platform_objects))
