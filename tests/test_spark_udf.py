"""spark_udf on the embedded stack's registry: every prediction through the alias and the
stage URI, a wrong alias and a missing stage, a throughput threshold nobody reaches, and
the judgements on recorded evidence."""

import pytest

from mlflow_conformance.findings import Outcome
from mlflow_conformance.spark import throughput, udf

ROWS = 2_000
SCORED = {"model_uri": "models:/m@champion", "rows": 4, "result_type": "double",
          "expected_type": "double", "scored_rows": 4, "nulls": 0, "mismatches": 0,
          "max_abs_difference": 0.0, "first_mismatches": []}


def test_alias_scores_every_row_like_the_model(spark, udf_model):
    finding = udf.check(spark, udf_model.alias_uri, udf_model.columns, ROWS)
    assert finding.outcome is Outcome.PASS, finding
    assert finding.evidence["scored_rows"] == ROWS
    assert finding.evidence["result_type"] == "double"


def test_stage_uri_scores_every_row_like_the_model(spark, udf_model):
    finding = udf.check(spark, udf_model.stage_uri, udf_model.columns, ROWS,
                        stage_warnings=udf_model.stage_warnings)
    assert finding.outcome is Outcome.PASS, finding
    assert any("deprecated" in w for w in finding.evidence["stage_warnings"])


@pytest.mark.fault("SPK-030", "alias_not_found")
def test_wrong_alias_is_alias_not_found(spark, udf_model):
    finding = udf.check(spark, f"models:/{udf_model.name}@no_such_alias", udf_model.columns,
                        ROWS)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "alias_not_found"), finding


@pytest.mark.fault("SPK-031", "stage_not_found")
def test_stage_without_versions_is_stage_not_found(spark, udf_model):
    finding = udf.check(spark, f"models:/{udf_model.name}/Staging", udf_model.columns, ROWS)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "stage_not_found"), finding


@pytest.mark.fault("SPK-030", "model_not_found")
def test_unknown_model_is_model_not_found(spark, udf_model):
    finding = udf.check(spark, f"models:/{udf_model.name}-absent@champion", udf_model.columns,
                        ROWS)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "model_not_found"), finding


@pytest.mark.fault("SPK-040", "below_threshold")
def test_unreachable_threshold_is_below_threshold_with_the_figures(spark, udf_model):
    finding = throughput.check(spark, udf_model.alias_uri, udf_model.columns, 20_000, 1e12)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "below_threshold"), finding
    figures = finding.evidence
    assert figures["rows"] == 20_000
    assert 0 < figures["rows_per_second"] < 1e12
    assert figures["ratio"] == pytest.approx(
        figures["in_process_rows_per_second"] / figures["rows_per_second"], rel=0.01)
    assert figures["arrow"]["spark.sql.execution.arrow.maxRecordsPerBatch"] == "10000"
    assert 3 <= len(figures["repeats"]) <= 7
    assert f"{figures['rows_per_second']:,.0f} rows/s" in finding.message


@pytest.mark.parametrize(("change", "code"), [
    ({"mismatches": 1, "first_mismatches": [{"row": 2, "udf": 1.0, "predict": 1.5}]},
     "prediction_mismatch"),
    ({"nulls": 2}, "null_predictions"),
    ({"result_type": "array<double>"}, "wrong_result_type"),
    ({"scored_rows": 3}, "udf_failed"),
    ({"error": "Registered model alias x not found.", "code": "alias_not_found"},
     "alias_not_found"),
])
def test_recorded_udf_evidence_is_judged(change, code):
    finding = udf.judge({**SCORED, **change})
    assert (finding.outcome, finding.code) == (Outcome.FAIL, code)


@pytest.mark.parametrize(("error", "code"), [
    ("[PYTHON_VERSION_MISMATCH] Python in worker has different version (3, 12) than that in "
     "driver 3.11", "python_mismatch"),
    ("No versions of model with name 'x' and stage 'Production' found", "stage_not_found"),
    ("RESOURCE_DOES_NOT_EXIST: Registered Model with name=x not found", "model_not_found"),
    ("Py4JJavaError: ArrowInvalid", "udf_failed"),
])
def test_errors_are_classified(error, code):
    assert udf.classify(error) == code


def test_repeats_stop_once_the_median_is_stable():
    timings = iter([1.0, 3.0, 1.1, 1.05, 1.0, 9.0, 9.0, 9.0])
    times, stable = throughput.until_stable(lambda: next(timings))
    assert stable
    assert times == [1.0, 3.0, 1.1, 1.05]


def test_repeats_are_bounded_when_the_median_never_settles():
    timings = iter([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])
    times, stable = throughput.until_stable(lambda: next(timings), most=5)
    assert not stable
    assert len(times) == 5


def test_figures_and_threshold_on_recorded_timings():
    figures = throughput.figures(200_000, [2.0, 2.5, 3.0], [0.02, 0.02, 0.03])
    assert figures["rows_per_second"] == 80_000
    assert figures["in_process_rows_per_second"] == 10_000_000
    assert figures["ratio"] == 125
    assert throughput.judge(figures, 20_000).outcome is Outcome.PASS
    assert throughput.judge(figures, 100_000).code == "below_threshold"
