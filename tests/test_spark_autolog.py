"""Autolog capture: the documented example run for real on the embedded stack (with and
without autologging) and the judgements on recorded evidence."""

import dataclasses

import pytest

from mlflow_conformance.findings import Outcome
from mlflow_conformance.spark import autolog, example

from .spark_helpers import JAR_ABSENT, JAR_PRESENT, RECORDED_RUN, recorded_run


@pytest.fixture(scope="module")
def record_run(ledger):
    return lambda run_id: ledger.record("run", run_id)


@pytest.fixture(scope="module")
def corrected_run(spark, spark_experiment, run_tags, record_run):
    # For speed: dependency inference starts a second Spark in a subprocess (~30 s; bounded
    # here, the model is still logged with MLflow's default requirements), and the jar-less
    # datasource autolog makes every tracking call ~3x slower (the documented run covers it).
    ml_only = dataclasses.replace(example.CORRECTED, datasource=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT", "3")
        return example.run(spark, spark_experiment, ml_only, run_tags, record_run)


@pytest.fixture(scope="module")
def documented_run(spark, spark_experiment, run_tags, record_run):
    return example.run(spark, spark_experiment, example.DOCUMENTED, run_tags, record_run)


@pytest.fixture(scope="module")
def unlogged_run(spark, spark_experiment, run_tags, record_run):
    return example.run(spark, spark_experiment, example.NO_AUTOLOG, run_tags, record_run)


def test_pyspark_ml_autolog_captures_the_example(corrected_run):
    for judge in (autolog.judge_params, autolog.judge_tags, autolog.judge_model,
                  autolog.judge_metric, autolog.judge_custom_param):
        finding = judge(corrected_run)
        assert finding.outcome is Outcome.PASS, finding
    assert corrected_run["model"]["uri"].endswith("/model")
    assert corrected_run["model"]["sparkml_part_files"] > 0


@pytest.mark.parametrize("judge", [
    pytest.param(judge, id=judge.__name__, marks=pytest.mark.fault(rid, "not_captured"))
    for rid, judge in (("SPK-001", autolog.judge_params), ("SPK-002", autolog.judge_tags),
                       ("SPK-003", autolog.judge_model), ("SPK-004", autolog.judge_metric))])
def test_autolog_not_enabled_is_not_captured(unlogged_run, judge):
    finding = judge(unlogged_run)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "not_captured"), finding
    assert finding.evidence["run_id"] == unlogged_run["run_id"]


def test_custom_param_needs_no_autolog(unlogged_run):
    assert autolog.judge_custom_param(unlogged_run).outcome is Outcome.PASS


@pytest.mark.fault("SPK-005", "not_captured")
def test_custom_param_logged_after_the_run_block_is_not_captured(spark, spark_experiment,
                                                                 run_tags, record_run):
    late = dataclasses.replace(example.NO_AUTOLOG, name="late_custom_param", evaluate=False,
                               custom_param_in_run=False)
    run = example.run(spark, spark_experiment, late, run_tags, record_run)
    finding = autolog.judge_custom_param(run)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "not_captured"), finding
    assert "custom_param" not in run["params"]
    assert "same `with mlflow.start_run()` block" in finding.remedy


@pytest.mark.fault("SPK-006", "jar_missing")
def test_missing_jar_is_detected_on_this_spark(spark, documented_run):
    jar = example.jar_status(spark)
    assert jar["present"] is False
    assert "ClassNotFoundException" in jar["error"]
    assert "mlflow-spark JAR" in documented_run["autologs"]["spark"]["error"]
    finding = autolog.judge_datasource(documented_run, jar)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "jar_missing")


@pytest.mark.fault("SPK-007", "docs_mismatch")
def test_page_claim_is_a_docs_mismatch(documented_run, corrected_run):
    finding = autolog.judge_page_claim(documented_run, corrected_run)
    assert (finding.outcome, finding.code) == (Outcome.WARN, "docs_mismatch")
    assert "metric r2" in finding.message
    assert "the Spark model" in finding.message
    captured = finding.evidence["pyspark_ml_autolog_with_evaluator"]
    assert captured["params"] == ["elasticNetParam", "maxIter", "regParam"]


def test_page_claim_holds_when_everything_is_recorded():
    run = recorded_run(metrics={"rmse_test": 0.3, "r2_test": 0.9, "mae_test": 0.2})
    assert autolog.judge_page_claim(run, RECORDED_RUN).outcome is Outcome.PASS


def test_param_with_another_value_is_a_value_mismatch():
    run = recorded_run(params={**RECORDED_RUN["params"], "regParam": "0.0"})
    finding = autolog.judge_params(run)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "value_mismatch")


def test_sparkml_with_only_success_markers_is_incomplete():
    run = recorded_run(model={**RECORDED_RUN["model"], "sparkml_files": 4,
                              "sparkml_part_files": 0})
    assert autolog.judge_model(run).code == "sparkml_incomplete"


def test_model_that_does_not_load_is_unloadable():
    run = recorded_run(model={**RECORDED_RUN["model"], "loaded": False,
                              "load_error": "Py4JJavaError: ..."})
    assert autolog.judge_model(run).code == "model_unloadable"


def test_datasource_tag_with_the_jar_passes_and_its_absence_is_not_captured():
    tagged = recorded_run(tags={"sparkDatasourceInfo": "path=file:/data,format=libsvm"})
    assert autolog.judge_datasource(tagged, JAR_PRESENT).outcome is Outcome.PASS
    assert autolog.judge_datasource(RECORDED_RUN, JAR_PRESENT).code == "not_captured"
    assert autolog.judge_datasource(RECORDED_RUN, JAR_ABSENT).code == "jar_missing"
