"""Registry checks fail with their own diagnosis when the server is broken in exactly that
way: a proxy in front of the stack's real MLflow server drops one thing."""

import secrets

import pytest

from mlflow_conformance.cleanup import removal
from mlflow_conformance.cleanup.ledger import Ledger
from mlflow_conformance.findings import Finding, Outcome
from mlflow_conformance.tracking import registry, registry_model
from tests.registry_helpers import (
    aliases_not_stored,
    behind,
    codes_by_requirement,
    mlflow_proxy,
    no_registry,
    run_suites_inner,
)

REGISTRY = [f"REG-00{i}" for i in range(1, 10)]
TRACKING = [f"TRK-00{i}" for i in range(1, 8)]


@pytest.mark.fault("REG-001", "endpoint_missing")
@pytest.mark.fault("REG-002", "endpoint_missing")
@pytest.mark.fault("REG-003", "endpoint_missing")
@pytest.mark.fault("REG-004", "endpoint_missing")
@pytest.mark.fault("REG-005", "endpoint_missing")
@pytest.mark.fault("REG-006", "endpoint_missing")
@pytest.mark.fault("REG-007", "endpoint_missing")
@pytest.mark.fault("REG-008", "endpoint_missing")
@pytest.mark.fault("REG-009", "endpoint_missing")
def test_server_without_registry_routes_is_endpoint_missing_while_tracking_passes(
        pytester, monkeypatch, deployment, tmp_path):
    with mlflow_proxy(deployment.tracking_uri, no_registry) as uri:
        result, results = run_suites_inner(pytester, monkeypatch, deployment, uri,
                                            tmp_path / "report")
    codes = codes_by_requirement(results)
    assert {rid: codes[rid] for rid in TRACKING} == {rid: ("pass", "ok") for rid in TRACKING}
    assert {rid: codes[rid] for rid in REGISTRY} == {
        rid: ("fail", "endpoint_missing") for rid in REGISTRY}
    # A finding, not a crash: every registry test reports the check, none errors.
    result.assert_outcomes(passed=len(TRACKING), failed=len(REGISTRY))
    blocked = next(t for t in results["tests"] if t["requirements"] == ["REG-005"])
    assert blocked["evidence"]["steps"]["load_by_alias"]["blocked_by"] == "set_aliases"


@pytest.mark.fault("REG-004", "alias_not_found")
@pytest.mark.fault("REG-005", "alias_not_found")
def test_alias_that_does_not_stick_is_alias_not_found(deployment, tmp_path):
    book = Ledger(tmp_path / "ledger.jsonl", "mcselftest" + secrets.token_hex(3))
    with mlflow_proxy(deployment.tracking_uri, aliases_not_stored) as uri:
        try:
            found = registry.run_lifecycle(behind(deployment, uri), book)
        finally:
            outcome = removal.remove_entries(book.entries(), deployment)
    assert (found["aliases"].outcome, found["aliases"].code) == (Outcome.FAIL, "alias_not_found")
    assert "champion" in found["aliases"].message
    assert (found["load_alias"].outcome, found["load_alias"].code) == (
        Outcome.FAIL, "alias_not_found")
    # Everything not about aliases still works.
    for key in ("registered_model", "version", "description", "stages", "load_stage"):
        assert found[key].outcome is Outcome.PASS, (key, found[key])
    assert outcome.failed == []


def test_stage_path_that_warns_is_a_warn_level_finding():
    stages = Finding(Outcome.PASS, "ok", "moved")
    finding = registry.deprecation_finding(stages, ["transition_model_version_stage is "
                                                    "deprecated since 2.9.0"])
    assert (finding.outcome, finding.code) == (Outcome.WARN, "stages_deprecated")
    assert registry.deprecation_finding(stages, []).outcome is Outcome.PASS
    broken = Finding(Outcome.FAIL, "endpoint_missing", "no route")
    assert registry.deprecation_finding(broken, ["w"]) is broken


@pytest.mark.parametrize(("got", "wrong"), [
    ([1.0, 2.0, 3.0], 0), ([1.0, 2.5, 3.0], 1), ([1.0, 2.0], 1)])
def test_prediction_comparison(got, wrong):
    assert len(registry_model.compare([1.0, 2.0, 3.0], got)) == wrong
