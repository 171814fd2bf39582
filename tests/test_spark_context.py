"""Distributed context on a live Spark session: the run id on Spark jobs (and what breaks
it), and where executors' own log_metric calls go (and what changes that)."""

import threading

import pytest

from mlflow_conformance.findings import Outcome
from mlflow_conformance.spark import executor_logging, jobs

from .spark_helpers import executor_env


def test_run_id_reaches_the_jobs(spark, driver_run):
    finding = jobs.judge(jobs.collect(spark.sparkContext, driver_run))
    assert finding.outcome is Outcome.PASS, finding
    assert {t["run_id"] for t in finding.evidence["while_set"]["tasks"]} == {driver_run}
    assert finding.evidence["while_set"]["jobs_in_group"]


@pytest.mark.fault("SPK-010", "context_not_propagated")
def test_property_set_on_another_thread_does_not_propagate(spark, driver_run):
    sc = spark.sparkContext
    # A common mistake: the run's properties set on one thread, the jobs run on another.
    tagger = threading.Thread(target=jobs.tag_jobs, args=(sc, driver_run))
    tagger.start()
    tagger.join()
    evidence = {"run_id": driver_run, "property": jobs.RUN_PROPERTY,
                "job_group": jobs.group_of(driver_run), "while_set": jobs.observe(sc, driver_run),
                "after_clearing": []}
    finding = jobs.judge(evidence)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "context_not_propagated")


def test_properties_left_after_the_run_leak():
    run_id = "r1"
    task = {"stage": 1, "partition": 0, "run_id": run_id, "job_group": jobs.group_of(run_id)}
    evidence = {"run_id": run_id, "property": jobs.RUN_PROPERTY, "job_group": jobs.group_of(run_id),
                "while_set": {"tasks": [task], "jobs_in_group": [{"job_id": 3,
                                                                  "status": "SUCCEEDED"}]},
                "after_clearing": [task]}
    assert jobs.judge(evidence).code == "context_leaked"


def _record(ledger):
    return lambda run_id: ledger.record("run", run_id)


@pytest.mark.fault("SPK-011", "executor_stray_runs")
def test_executor_log_calls_start_runs_of_their_own(spark, driver_run, ledger, run_tags,
                                                    mlflow_client):
    evidence = executor_logging.collect(spark, driver_run, _record(ledger), run_tags)
    finding = executor_logging.judge(evidence)
    assert (finding.outcome, finding.code) == (Outcome.WARN, "executor_stray_runs"), finding
    assert evidence["driver_run_before_sending"] == []
    assert sorted(evidence["driver_run_after_sending"]) == [1.0, 2.0]
    assert len(evidence["executor_runs"]) == 2
    for stray in evidence["executor_runs"]:
        assert stray["run_id"] != driver_run
        assert set(stray["metrics"]) == {executor_logging.METRIC}
        assert mlflow_client.get_run(stray["run_id"]).data.tags.items() >= run_tags.items()


def test_executors_that_know_the_run_id_log_into_it(spark, driver_run, ledger):
    # The fault: the driver's run id handed to the executors' environment.
    with executor_env(spark, MLFLOW_RUN_ID=driver_run):
        evidence = executor_logging.collect(spark, driver_run, _record(ledger))
    assert {t["run_id"] for t in evidence["tasks"]} == {driver_run}
    finding = executor_logging.judge(evidence)
    assert (finding.outcome, finding.code) == (Outcome.WARN, "executor_logs_in_run"), finding


def test_driver_values_missing_from_its_run_are_reported():
    evidence = {"driver_run_id": "r1", "tasks": [{"partition": 0, "value": 1.0}],
                "driver_run_before_sending": [], "driver_run_after_sending": [],
                "executor_runs": [], "sent_by_driver": [1.0]}
    assert executor_logging.judge(evidence).code == "driver_metrics_missing"
