"""NetworkPolicy isolation (P9.2): only pods in the platform's namespaces reach the tracking
Service — expected from the policies, observed from probe pods in a job namespace and an
outsider namespace, compared cell by cell. Only under --cluster."""

import pytest

pytestmark = pytest.mark.cluster_only


@pytest.mark.requirement("ISO-001")
def test_only_the_platform_namespaces_reach_the_tracking_service(isolation, check):
    check(isolation)
