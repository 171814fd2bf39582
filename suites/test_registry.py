"""Model registry: the lifecycle the platform documents (P7), aliases as the main path and
the deprecated stage path with its warning (FAILURE-MODES E6, F), loading by registry URI
(P8.1).

The lifecycle runs once per module (mlflow_conformance.tracking.registry) on a tiny scikit-learn
model; the registered model, its experiment and run are recorded in the ledger and removed
at the end of the session.
"""

import pytest

from mlflow_conformance.tracking.registry import run_lifecycle


@pytest.fixture(scope="module")
def registry_lifecycle(tracking_server, ledger):
    return run_lifecycle(tracking_server, ledger)


@pytest.mark.requirement("REG-001")
def test_registered_model_with_dotted_name(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-002")
def test_version_from_run_model_uri_is_ready(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-003")
def test_version_description_is_updated(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-004")
def test_aliases_are_set_resolved_and_deleted(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-005")
def test_model_loads_by_alias_and_predicts(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-006")
def test_deprecated_stage_transitions_work(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-007")
def test_stage_path_is_flagged_as_deprecated(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-008")
def test_model_loads_by_stage_uri_and_predicts(registry_lifecycle, check):
    check(registry_lifecycle)


@pytest.mark.requirement("REG-009")
def test_documented_create_model_version_is_loadable(registry_lifecycle, check):
    check(registry_lifecycle)
