"""The backend store's schema against the server's MLflow version (P1.2, P10.3)."""

import pytest


@pytest.mark.requirement("SCH-001")
def test_backend_database_is_at_the_servers_schema_head(backend_schema_finding, check):
    check(backend_schema_finding)
