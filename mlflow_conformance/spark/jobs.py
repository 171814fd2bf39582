"""Tying Spark jobs to an MLflow run with setLocalProperty (P6.3), observed without the UI:
the tasks of a job read their local properties (TaskContext), and the driver's status
tracker - the source of the Spark UI's job list - finds the job by its group.

Local properties belong to the thread that sets them (PySpark pins Python threads to JVM
threads), so properties set on one thread do not tag jobs started from another.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from mlflow_conformance.spark.executors import run_tasks

from ..findings import Finding, Outcome, passed

RUN_PROPERTY = "mlflow.runId"
GROUP_PROPERTY = "spark.jobGroup.id"  # what setJobGroup sets; the UI groups jobs by it
DESCRIPTION_PROPERTY = "spark.job.description"  # shown in the UI's job list


def group_of(run_id: str) -> str:
    return f"mlflow-run-{run_id}"


def tag_jobs(sc: Any, run_id: str) -> None:
    sc.setLocalProperty(RUN_PROPERTY, run_id)
    sc.setLocalProperty(GROUP_PROPERTY, group_of(run_id))
    sc.setLocalProperty(DESCRIPTION_PROPERTY, f"MLflow run {run_id}")


def untag_jobs(sc: Any) -> None:
    for key in (RUN_PROPERTY, GROUP_PROPERTY, DESCRIPTION_PROPERTY):
        sc.setLocalProperty(key, None)


def _read_properties(_rows: Any) -> Any:
    from pyspark import TaskContext

    task = TaskContext.get()
    assert task is not None  # always set inside a task
    yield {"stage": task.stageId(), "partition": task.partitionId(),
           "run_id": task.getLocalProperty(RUN_PROPERTY),
           "job_group": task.getLocalProperty(GROUP_PROPERTY)}


def observe(sc: Any, run_id: str, partitions: int = 2) -> dict[str, Any]:
    """Start one job from this thread; what its tasks and the status tracker show."""
    # By value: executors on the platform's image have no copy of this package.
    tasks = run_tasks(sc, _read_properties, sys.modules[__name__], partitions=partitions)
    tracker = sc.statusTracker()
    jobs = []
    for job_id in sorted(tracker.getJobIdsForGroup(group_of(run_id))):
        info = tracker.getJobInfo(job_id)
        jobs.append({"job_id": job_id, "status": info.status if info else "forgotten"})
    return {"tasks": tasks, "jobs_in_group": jobs}


def collect(sc: Any, run_id: str) -> dict[str, Any]:
    """A job started while the run's properties are set, and one started after clearing."""
    tag_jobs(sc, run_id)
    try:
        tagged = observe(sc, run_id)
    finally:
        untag_jobs(sc)
    return {"run_id": run_id, "property": RUN_PROPERTY, "job_group": group_of(run_id),
            "while_set": tagged, "after_clearing": observe(sc, run_id)["tasks"]}


def judge(evidence: Mapping[str, Any]) -> Finding:
    run_id = evidence["run_id"]
    tasks = evidence["while_set"]["tasks"]
    untagged = [t for t in tasks if t["run_id"] != run_id]
    if untagged or not tasks:
        return Finding(Outcome.FAIL, "context_not_propagated", f"{len(untagged)} of "
                       f"{len(tasks)} tasks did not see {evidence['property']}={run_id}",
                       dict(evidence), "set the local property on the thread that starts the "
                       "Spark jobs, before they start")
    if not evidence["while_set"]["jobs_in_group"]:
        return Finding(Outcome.FAIL, "context_not_propagated", f"the status tracker has no "
                       f"job in group {evidence['job_group']}", dict(evidence),
                       "set spark.jobGroup.id (or setJobGroup) with the run id")
    leaked = [t for t in evidence["after_clearing"] if t["run_id"] or t["job_group"]]
    if leaked:
        return Finding(Outcome.WARN, "context_leaked", f"{len(leaked)} tasks of a job started "
                       "after clearing still carry the run's properties", dict(evidence),
                       "clear the local properties (setLocalProperty(key, None)) after the run")
    jobs = [j["job_id"] for j in evidence["while_set"]["jobs_in_group"]]
    return passed(f"all {len(tasks)} tasks saw {evidence['property']}={run_id}; job(s) {jobs} "
                  f"in group {evidence['job_group']}; none after clearing", **evidence)
