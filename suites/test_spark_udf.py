"""Batch inference with mlflow.pyfunc.spark_udf (P8): every prediction against the model's
own predict, through an alias and through the page's stage URI, and rows/s against the
in-process limit (threshold: --udf-min-rows-per-second). When the executors cannot run the
model (udf_preflight), each fails untried with the executors' diagnosis."""

import pytest

from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.spark import throughput, udf

ROWS = 20_000  # every row is compared: Spark scores them, this process predicts them again
THROUGHPUT_ROWS = 200_000


@pytest.mark.requirement("SPK-030")
def test_udf_through_alias_scores_like_the_model(spark, udf_model, udf_preflight, check):
    check(udf.check(spark, udf_model.alias_uri, udf_model.columns, ROWS, udf_preflight))


@pytest.mark.requirement("SPK-031")
def test_udf_through_stage_uri_scores_like_the_model(spark, udf_model, udf_preflight, check):
    check(udf.check(spark, udf_model.stage_uri, udf_model.columns, ROWS, udf_preflight,
                    stage_warnings=udf_model.stage_warnings))


@pytest.mark.requirement("SPK-040")
def test_udf_throughput(spark, udf_model, udf_preflight, pytestconfig, check):
    threshold = run_context(pytestconfig).settings["udf-min-rows-per-second"]
    check(throughput.check(spark, udf_model.alias_uri, udf_model.columns, THROUGHPUT_ROWS,
                           threshold, udf_preflight))
