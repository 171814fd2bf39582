"""results.json has a versioned JSON Schema in the repository; the model writes what it
says, and it rejects what it should. (A real run's file is validated in
test_report_inner_run.py.)"""

from __future__ import annotations

import copy

import jsonschema
import pytest

from mlflow_conformance.report import baseline, gate, schema
from mlflow_conformance.report.results import SCHEMA_VERSION
from tests.test_results_model import synthetic_results


@pytest.fixture
def valid():
    results = synthetic_results(30)
    results.baseline = baseline.compare(synthetic_results(25).to_dict(), results.to_dict(),
                                        source="reports/old/results.json")
    results.gate = gate.decide(results, "regression", 1)
    results.gating = gate.judged(results, "regression", results.gate["exit_code"])
    return results.to_dict()


def test_the_schema_is_a_valid_draft_2020_12_schema_of_this_version():
    jsonschema.Draft202012Validator.check_schema(schema.schema())
    assert schema.schema()["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_the_model_writes_what_the_schema_says(valid):
    assert schema.problems(valid) == []
    bare = synthetic_results(3).to_dict()  # no baseline, no gate yet
    assert schema.problems(bare) == []


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.pop("verdict"), "(top): 'verdict' is a required property"),
    (lambda d: d.update(schema_version="2.0"), "schema_version"),
    (lambda d: d["tests"][0].update(outcome="passed"), "tests/0/outcome"),
    (lambda d: d["tests"][0].update(requirements=[]), "tests/0/requirements"),
    (lambda d: d["requirements"][0].update(severity="may"), "requirements/0/severity"),
    (lambda d: d["requirements"][0].update(id="net-1"), "requirements/0/id"),
    (lambda d: d["summary"]["tests"].pop("error"), "summary/tests"),
    (lambda d: d["baseline"]["changes"][0].update({"class": "better"}), "baseline"),
    (lambda d: d.update(started="yesterday"), "started"),
    (lambda d: d.update(surprise=1), "(top): Additional properties"),
    (lambda d: d.update(profile="nightly"), "profile"),
    (lambda d: d["gating"].update(profile="nightly"), "gating"),
    (lambda d: d["gating"]["decided_by"].append("net-1"), "gating"),
    (lambda d: d["requirements"][0].update(threshold="yes"), "requirements/0/threshold"),
])
def test_the_schema_rejects_drift(valid, change, where):
    broken = copy.deepcopy(valid)
    change(broken)
    found = schema.problems(broken)
    assert any(p.startswith(where) for p in found), found
