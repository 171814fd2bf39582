"""Tracking: a deep-health canary, as a Spark driver would use the server (P1.1, P1.2, P5).

The canary runs once per module (mlflow_conformance.tracking.canary): every step is timed, a failed
step names itself and blocks the steps that need it. Everything it creates is recorded in
the ledger and removed at the end of the session.
"""

import pytest

from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.tracking.canary import run_canary


@pytest.fixture(scope="module")
def tracking_canary(tracking_server, ledger, pytestconfig):
    return run_canary(tracking_server, ledger,
                      run_context(pytestconfig).settings["slow-step-seconds"])


@pytest.mark.requirement("TRK-001")
def test_experiment_is_created_and_found_by_name(tracking_canary, check):
    check(tracking_canary)


@pytest.mark.requirement("TRK-002")
def test_params_metrics_tags_and_batches_round_trip(tracking_canary, check):
    check(tracking_canary)


@pytest.mark.requirement("TRK-003")
def test_input_dataset_is_recorded(tracking_canary, check):
    check(tracking_canary)


@pytest.mark.requirement("TRK-004")
def test_rest_api_and_client_agree(tracking_canary, check):
    check(tracking_canary)


@pytest.mark.requirement("TRK-005")
def test_filtered_search_finds_exactly_the_run(tracking_canary, check):
    check(tracking_canary)


@pytest.mark.requirement("TRK-006")
def test_run_ends_deletes_and_restores(tracking_canary, check):
    check(tracking_canary)


@pytest.mark.requirement("TRK-007")
def test_tracking_calls_answer_promptly(tracking_canary, check):
    check(tracking_canary)
