"""The tracking and registry suites on the real stack: green, and nothing left behind; a
read-only profile skips them by footprint. Unit tests of the canary's pure parts on
recorded evidence."""

from typing import Any

import pytest
import requests

from mlflow_conformance.cleanup import sweep
from mlflow_conformance.cleanup.removal import s3_client
from mlflow_conformance.findings import Outcome
from mlflow_conformance.stack.mlflow_server import ARTIFACT_PREFIX
from mlflow_conformance.tracking import diagnosis, run_readback
from mlflow_conformance.tracking.canary import latency_finding
from mlflow_conformance.tracking.steps import StepFailed, Steps
from mlflow_conformance.transport.rest import Rest, RestError
from tests.inner_session import copy_suites
from tests.registry_helpers import SUITES, codes_by_requirement, run_suites_inner

WARNED = {"REG-007": ("warn", "stages_deprecated"),
          "REG-009": ("warn", "documented_source_empty")}


def evidence(results, requirement, step, key):
    test = next(t for t in results["tests"] if t["requirements"] == [requirement])
    return test["evidence"]["steps"][step][key]


@pytest.mark.fault("REG-007", "stages_deprecated")
@pytest.mark.fault("REG-009", "documented_source_empty")
def test_normal_run_is_green_and_leaves_no_harness_made_entity(
        pytester, monkeypatch, deployment, tmp_path):
    result, results = run_suites_inner(pytester, monkeypatch, deployment,
                                       deployment.tracking_uri, tmp_path / "report")
    codes = codes_by_requirement(results)
    assert {rid: c for rid, c in codes.items() if c != ("pass", "ok")} == WARNED
    result.assert_outcomes(passed=16)
    # The server holds nothing of that run: not even soft-deleted (view ALL), no model,
    # no S3 object under conformance/ or under the experiments' artifact folders.
    assert sweep.find_leftovers(deployment, [results["run_id"]]) == []
    rest = Rest.for_deployment(deployment)
    experiments = [evidence(results, "TRK-001", "create_experiment", "experiment_id"),
                   evidence(results, "REG-002", "log_model", "experiment_id")]
    for experiment_id in experiments:
        with pytest.raises(RestError) as gone:
            rest.get("/experiments/get", experiment_id=experiment_id)
        assert gone.value.not_found
    with pytest.raises(RestError) as gone:
        rest.get("/registered-models/get",
                 name=evidence(results, "REG-001", "create_registered_model", "name"))
    assert gone.value.not_found
    s3 = s3_client(deployment, deployment.driver_identity)
    for experiment_id in experiments:
        listed = s3.list_objects_v2(Bucket=deployment.bucket,
                                    Prefix=f"{ARTIFACT_PREFIX}/{experiment_id}/")
        assert listed.get("KeyCount", 0) == 0


def test_smoke_profile_skips_the_writing_suites_by_footprint(pytester):
    copy_suites(pytester, SUITES)
    result = pytester.runpytest("--profile", "smoke", "--tracking-uri", "http://127.0.0.1:9",
                                "--report-dir", str(pytester.path / "report"), "-rs")
    result.assert_outcomes(skipped=16)
    result.stdout.fnmatch_lines([  # registry (collected first) logs a model: writes-s3
        "SKIPPED*test_registry.py*profile smoke runs read-only checks only (this one writes-s3)",
        "SKIPPED*test_tracking.py*(this one writes-mlflow)"])


def test_latency_is_judged_per_step():
    timings = [{"step": "create_experiment", "seconds": 0.03},
               {"step": "search_rest", "seconds": 6.2}]
    slow = latency_finding(timings, 5.0)
    assert (slow.outcome, slow.code) == (Outcome.WARN, "slow_response")
    assert slow.evidence["slowest"] == {"step": "search_rest", "seconds": 6.2}
    assert slow.evidence["timings"] == timings
    fast = latency_finding(timings[:1], 5.0)
    assert (fast.outcome, fast.code) == (Outcome.PASS, "ok")


def test_rest_read_back_is_compared_with_what_was_written():
    want = run_readback.expected(("mlflow_conformance.run_id", "mc1"))
    run: dict[str, Any] = {"data": {
        "params": [{"key": k, "value": v} for k, v in want.params.items()],
        "tags": [{"key": k, "value": v} for k, v in want.tags.items()] + [
            {"key": "mlflow.user", "value": "x"}],
        "metrics": [{"key": "loss", "value": 0.125, "step": 3},
                    {"key": "accuracy", "value": 0.8, "step": 2}]}}
    history = {"loss": [{"key": "loss", "value": v, "step": s} for s, v in want.history["loss"]],
               "accuracy": [{"key": "accuracy", "value": v, "step": s}
                            for s, v in want.history["accuracy"]]}
    assert run_readback.differences(want, run_readback.from_rest(run, history)) == []
    history["loss"] = history["loss"][:2]  # a server that dropped metric steps
    run["data"]["params"][0]["value"] = "0.50000"
    found = run_readback.differences(want, run_readback.from_rest(run, history))
    assert len(found) == 2
    assert "history of 'loss'" in found[1]


@pytest.mark.parametrize(("raised", "code"), [
    (RestError("/api/2.0/mlflow/registered-models/create", 404, None, "<!doctype html>"),
     "endpoint_missing"),
    (RestError("/x", 404, "RESOURCE_DOES_NOT_EXIST", "Registered model alias champion not "
               "found."), "alias_not_found"),
    # What MLflow's stores really send for a missing alias.
    (RestError("/x", 400, "INVALID_PARAMETER_VALUE", "Registered model alias champion not "
               "found."), "alias_not_found"),
    (RestError("/x", 403, None, "Invalid Host header - possible DNS rebinding"), "host_rejected"),
    (RestError("/x", 500, "INTERNAL_ERROR", "database is locked"), "server_error"),
    (requests.ConnectionError("Failed to establish a new connection: [Errno 111] Connection "
                              "refused"), "connection_refused"),
    (ValueError("a bug"), "harness_error"),
])
def test_failures_are_classified(raised, code):
    assert diagnosis.classify(raised).code == code


def test_mlflow_client_errors_are_classified():
    from mlflow.exceptions import MlflowException, RestException

    html_404 = MlflowException("API request to endpoint /api/2.0/mlflow/registered-models/create"
                               " failed with error code 404 != 200. Response body: '<!doctype'")
    assert diagnosis.classify(html_404).code == "endpoint_missing"
    stage = RestException({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No versions of "
                           "model with name 'm' and stage 'Production' found"})
    assert diagnosis.classify(stage).code == "stage_not_found"


def test_a_failed_step_blocks_the_steps_that_need_it():
    steps = Steps()

    def broken():
        raise StepFailed("roundtrip_mismatch", "loss history lost a step")

    steps.run("log_metrics", broken)
    steps.run("read_back", lambda: None, needs=["log_metrics"])
    steps.run("independent", lambda: {"seen": 1})
    finding = steps.judge(["read_back"], "ok")
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "roundtrip_mismatch")
    assert finding.evidence["steps"]["read_back"]["blocked_by"] == "log_metrics"
    assert steps.judge(["independent"], "fine").outcome is Outcome.PASS
    assert [t["step"] for t in steps.timings()] == ["log_metrics", "independent"]
