"""The platform's own objects, read through the Kubernetes API (P1.1, P3.2): the MLflow
Deployment, the tracking Service and the Secrets they are wired to; and MLflow as seen from
outside the cluster (P9.3): behind the authenticating Ingress, the Service unreachable.
Only under --cluster."""

import pytest

from mlflow_conformance.cluster import ingress, platform_checks

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


@pytest.mark.requirement("PLT-004")
def test_the_api_is_behind_the_platform_authentication(ingress_route, ingress_observed, check):
    check(ingress.judge_ingress(ingress_route, ingress_observed))


@pytest.mark.requirement("PLT-005")
def test_the_tracking_service_is_not_reachable_from_outside(tracking_service_from_outside,
                                                             check):
    check(tracking_service_from_outside)
