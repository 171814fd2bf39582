"""Distributed context (P6): Spark jobs carry the MLflow run id set with setLocalProperty,
and metrics logged inside executors reach the run only when the driver sends them."""

import pytest

from mlflow_conformance.spark import executor_logging, jobs


@pytest.mark.requirement("SPK-010")
def test_spark_jobs_carry_the_run_id(spark, driver_run, check):
    check(jobs.judge(jobs.collect(spark.sparkContext, driver_run)))


@pytest.mark.requirement("SPK-011")
def test_executor_metrics_reach_the_run_through_the_driver(spark, driver_run, ledger, run_tags,
                                                           check):
    check(executor_logging.check(spark, driver_run,
                                 lambda run_id: ledger.record("run", run_id), run_tags))
