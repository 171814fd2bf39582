"""The artifact store with the platform's credentials: S3 from drivers and executors, the
identities that must be refused, and artifact round trips through MLflow per scheme
(P1.3, P2.2, P2.3, P10.2)."""

import pytest

from mlflow_conformance.storage import artifacts


@pytest.mark.requirement("STO-001")
def test_driver_reads_and_writes_the_bucket(s3_driver_access, check):
    check(s3_driver_access)


@pytest.mark.requirement("STO-002")
def test_executors_read_and_write_the_bucket(s3_executor_access, check):
    check(s3_executor_access)


@pytest.mark.requirement("STO-003")
def test_identities_that_must_be_refused_are_refused(s3_refusals, check):
    check(s3_refusals)


@pytest.mark.requirement("STO-004")
def test_artifact_locations_are_shared_storage(artifact_inventory, check):
    check(artifacts.judge_inventory(artifact_inventory))


@pytest.mark.requirement("STO-005")
def test_artifacts_round_trip_from_the_driver(artifact_round_trips, check):
    check(artifact_round_trips)


@pytest.mark.requirement("STO-006")
def test_artifacts_round_trip_from_an_executor(artifact_executor_round_trip, check):
    check(artifact_executor_round_trip)
