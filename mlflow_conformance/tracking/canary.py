"""The tracking canary: a deep health check that does what a Spark driver does.

Create an experiment, start a run, log params, metrics with steps, tags, a batch and an
input dataset through the MLflow client; read it all back through the client AND the REST
API; write over REST and read through the client; search with a filter; end, delete and
restore the run. Every step is timed (evidence for the report's latency chart). /health
says OK even when the database is broken; this says which call broke and how.
"""

from __future__ import annotations

import secrets
from typing import Any

from mlflow_conformance.cleanup.ledger import RUN_TAG, Ledger, experiment_name
from mlflow_conformance.transport.mlflow_client import driver_session
from mlflow_conformance.transport.rest import Rest

from ..deployment import Deployment
from ..findings import Finding, Findings, Outcome
from . import run_readback as rb
from .steps import StepFailed, Steps, judge_all

SLOW_STEP_SECONDS = 5.0  # the default of --slow-step-seconds (options.py)

# Requirement key -> (the steps that check it, the message when they all pass).
REQUIREMENTS = {
    "experiment": (["create_experiment", "read_experiment"],
                   "an experiment under a harness-owned name was created and read back by name"),
    "logging": (["start_run", "log_params", "log_metrics", "set_tags", "log_batch", "read_back"],
                "params, metrics with steps, tags and a batch were logged and read back intact"),
    "dataset": (["log_input", "read_input"], "an input dataset was logged and read back"),
    "rest": (["rest_read_run", "rest_write"],
             "the REST API returned what the client wrote, and the client what REST wrote"),
    "search": (["search_client", "search_rest"],
               "a filtered search found exactly the canary run (client and REST)"),
    "lifecycle": (["end_run", "delete_run", "restore_run"],
                  "the run was ended, deleted (hidden from searches) and restored"),
}


# What run_canary concludes, as catalog checks name it (tracking.canary:<key>).
FINDINGS = (*REQUIREMENTS, "latency")


def _mismatch(what: str, found: list[str]) -> None:
    if found:
        raise StepFailed("roundtrip_mismatch", f"{what}: {'; '.join(found[:5])}",
                         "the server loses or alters data: check its backend database "
                         "(column sizes, collation, a proxy rewriting bodies)", differences=found)


class TrackingCanary:
    def __init__(self, deployment: Deployment, ledger: Ledger,
                 slow_seconds: float = SLOW_STEP_SECONDS) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(deployment.tracking_uri, deployment.tracking_uri)
        self.rest = Rest.for_deployment(deployment)
        self.ledger = ledger
        self.name = experiment_name(ledger.run_id, f"tracking-{secrets.token_hex(3)}")
        self.want = rb.expected((RUN_TAG, ledger.run_id))
        self.experiment_id = self.run_id = ""
        self.steps = Steps()
        self.slow_seconds = slow_seconds  # --slow-step-seconds

    def create_experiment(self) -> dict[str, Any]:
        self.experiment_id = self.client.create_experiment(
            self.name, tags={RUN_TAG: self.ledger.run_id})
        self.ledger.record("experiment", self.experiment_id, name=self.name)
        return {"experiment_id": self.experiment_id, "name": self.name}

    def read_experiment(self) -> dict[str, Any]:
        found = self.client.get_experiment_by_name(self.name)
        if found is None or found.experiment_id != self.experiment_id:
            raise StepFailed("roundtrip_mismatch", f"experiment {self.name!r} not found by name",
                             "check the backend database", found=str(found))
        _mismatch("experiment tags", [] if found.tags.get(RUN_TAG) == self.ledger.run_id
                  else [f"tag {RUN_TAG} is {found.tags.get(RUN_TAG)!r}"])
        return {"artifact_location": found.artifact_location}

    def start_run(self) -> dict[str, Any]:
        run = self.client.create_run(self.experiment_id, run_name="canary",
                                     tags={RUN_TAG: self.ledger.run_id})
        self.run_id = run.info.run_id
        self.ledger.record("run", self.run_id, experiment_id=self.experiment_id)
        return {"run_id": self.run_id}

    def log_params(self) -> None:
        for key, value in rb.PARAMS.items():
            self.client.log_param(self.run_id, key, value)

    def log_metrics(self) -> None:
        for step, value in rb.LOSS:
            self.client.log_metric(self.run_id, "loss", value, step=step)

    def set_tags(self) -> None:
        for key, value in rb.TAGS.items():
            self.client.set_tag(self.run_id, key, value)

    def log_batch(self) -> None:
        from mlflow.entities import Metric, Param, RunTag

        self.client.log_batch(
            self.run_id, metrics=[Metric("accuracy", v, 0, s) for s, v in rb.ACCURACY],
            params=[Param(k, v) for k, v in rb.BATCH_PARAMS.items()],
            tags=[RunTag(k, v) for k, v in rb.BATCH_TAGS.items()])

    def read_back(self) -> None:
        run = self.client.get_run(self.run_id)
        histories = {k: self.client.get_metric_history(self.run_id, k) for k in self.want.history}
        _mismatch("client read-back", rb.differences(self.want, rb.from_client(run, histories)))

    def log_input(self) -> dict[str, Any]:
        import pandas as pd
        from mlflow.data.pandas_dataset import from_pandas
        from mlflow.entities import DatasetInput, InputTag

        frame = pd.DataFrame({"feature_1": [0.1, 0.2, 0.3], "label": [1.0, 0.0, 1.0]})
        dataset = from_pandas(frame, name="canary-training", targets="label")
        entity = dataset._to_mlflow_entity()  # what mlflow.log_input sends, without globals
        self.client.log_inputs(self.run_id, [DatasetInput(
            entity, [InputTag("mlflow.data.context", "training")])])
        self.want.datasets = [{"name": entity.name, "digest": entity.digest,
                               "context": "training"}]
        return {"digest": entity.digest}

    def read_input(self) -> None:
        run = self.client.get_run(self.run_id)
        _mismatch("dataset input", rb.differences(
            rb.RunView(datasets=self.want.datasets), rb.from_client(run, {})))

    def rest_read_run(self) -> None:
        run = self.rest.get("/runs/get", run_id=self.run_id)["run"]
        histories = {k: self.rest.get("/metrics/get-history", run_id=self.run_id,
                                      metric_key=k).get("metrics", [])
                     for k in self.want.history}
        _mismatch("REST read-back", rb.differences(self.want, rb.from_rest(run, histories)))

    def rest_write(self) -> None:
        self.rest.post("/runs/log-batch", run_id=self.run_id,
                       params=[{"key": k, "value": v} for k, v in rb.REST_PARAMS.items()],
                       tags=[{"key": k, "value": v} for k, v in rb.REST_TAGS.items()])
        got = rb.from_client(self.client.get_run(self.run_id), {})
        _mismatch("client read of REST writes", rb.differences(
            rb.RunView(params=rb.REST_PARAMS, tags=rb.REST_TAGS), got))

    def _filter(self, loss_below: float) -> str:
        return (f"params.alpha = '{rb.PARAMS['alpha']}' and metrics.loss < {loss_below} "
                f"and tags.`{RUN_TAG}` = '{self.ledger.run_id}'")

    def _expect_hits(self, where: str, hits: list[str], miss: list[str]) -> dict[str, Any]:
        found = []
        if hits != [self.run_id]:
            found.append(f"{where}: the matching filter found {hits}, expected [{self.run_id}]")
        if miss:
            found.append(f"{where}: a filter nothing matches found {miss}")
        _mismatch("search", found)
        return {"filter": self._filter(0.2)}

    def search_client(self) -> dict[str, Any]:
        def ids(loss_below: float) -> list[str]:
            runs = self.client.search_runs([self.experiment_id], self._filter(loss_below))
            return [r.info.run_id for r in runs]

        return self._expect_hits("client", ids(0.2), ids(0.1))

    def search_rest(self) -> dict[str, Any]:
        def ids(loss_below: float) -> list[str]:
            found = self.rest.post("/runs/search", experiment_ids=[self.experiment_id],
                                   filter=self._filter(loss_below), max_results=10)
            return [r["info"]["run_id"] for r in found.get("runs", [])]

        return self._expect_hits("REST", ids(0.2), ids(0.1))

    def _stage_and_visible(self) -> tuple[str, bool]:
        stage = self.client.get_run(self.run_id).info.lifecycle_stage
        listed = [r.info.run_id for r in self.client.search_runs([self.experiment_id])]
        return stage, self.run_id in listed

    def end_run(self) -> None:
        self.client.set_terminated(self.run_id, "FINISHED")
        info = self.client.get_run(self.run_id).info
        _mismatch("end run", [] if info.status == "FINISHED" and info.end_time else
                  [f"status {info.status}, end_time {info.end_time}"])

    def delete_run(self) -> None:
        self.client.delete_run(self.run_id)
        stage, visible = self._stage_and_visible()
        _mismatch("delete run", [] if stage == "deleted" and not visible else
                  [f"after delete: lifecycle_stage {stage}, listed by search: {visible}"])

    def restore_run(self) -> None:
        self.client.restore_run(self.run_id)
        stage, visible = self._stage_and_visible()
        _mismatch("restore run", [] if stage == "active" and visible else
                  [f"after restore: lifecycle_stage {stage}, listed by search: {visible}"])

    def run(self) -> dict[str, Finding]:
        run = self.steps.run
        run("create_experiment", self.create_experiment)
        run("read_experiment", self.read_experiment, needs=["create_experiment"])
        run("start_run", self.start_run, needs=["create_experiment"])
        for name in ("log_params", "log_metrics", "set_tags", "log_batch"):
            run(name, getattr(self, name), needs=["start_run"])
        run("read_back", self.read_back, needs=["log_params", "log_metrics", "set_tags",
                                                "log_batch"])
        run("log_input", self.log_input, needs=["start_run"])
        run("read_input", self.read_input, needs=["log_input"])
        run("rest_read_run", self.rest_read_run, needs=["read_back"])
        run("rest_write", self.rest_write, needs=["start_run"])
        run("search_client", self.search_client, needs=["read_back"])
        run("search_rest", self.search_rest, needs=["read_back"])
        run("end_run", self.end_run, needs=["start_run"])
        run("delete_run", self.delete_run, needs=["end_run"])
        run("restore_run", self.restore_run, needs=["delete_run"])
        findings = judge_all(self.steps, REQUIREMENTS)
        findings["latency"] = self.latency()
        return findings

    def latency(self) -> Finding:
        """Judged on the steps that worked; when none did, the first failure is the finding."""
        records = self.steps.records
        worked = [n for n, r in records.items() if r.outcome in (Outcome.PASS, Outcome.WARN)]
        if not worked:
            return self.steps.judge(list(records)[:1], "")
        return latency_finding(self.steps.timings(worked), self.slow_seconds)


def latency_finding(timings: list[dict[str, Any]], slow_seconds: float) -> Finding:
    """Pure: judge the canary's per-step latency (evidence: the timings, for a chart)."""
    evidence = {"timings": timings, "slow_step_seconds": slow_seconds,
                "total_seconds": round(sum(t["seconds"] for t in timings), 4)}
    if not timings:
        return Finding(Outcome.ERROR, "harness_error", "no canary step ran", evidence)
    slowest = max(timings, key=lambda t: t["seconds"])
    evidence["slowest"] = slowest
    slow = [t["step"] for t in timings if t["seconds"] > slow_seconds]
    if slow:
        return Finding(Outcome.WARN, "slow_response",
                       f"{len(slow)} canary step(s) took over {slow_seconds} s: "
                       f"{', '.join(slow)} (slowest {slowest['step']}, {slowest['seconds']} s)",
                       evidence, "check the tracking server's load and its database latency")
    return Finding(Outcome.PASS, "ok", f"{len(timings)} canary steps in "
                   f"{evidence['total_seconds']} s; slowest {slowest['step']} "
                   f"{slowest['seconds']} s", evidence)


def run_canary(deployment: Deployment, ledger: Ledger,
               slow_seconds: float = SLOW_STEP_SECONDS) -> Findings:
    """The canary's findings by the keys in FINDINGS."""
    with driver_session(deployment):
        return Findings("tracking.canary",
                        TrackingCanary(deployment, ledger, slow_seconds).run())
