"""The model-registry lifecycle as the platform documents it (P7), step by step.

Log a model in a run, create a registered model with a dotted name, register a version
from runs:/<run_id>/model, update its description, set/get/delete aliases and load by
alias (the main path), then the deprecated stage path (transitions to Staging and
Production, load by stage URI) with its FutureWarning recorded. The platform's literal
create_model_version(source="runs:/...") call is checked on its own.
"""

from __future__ import annotations

import secrets
import warnings
from typing import Any

from mlflow_conformance.cleanup.ledger import RUN_TAG, Ledger, experiment_name, model_name
from mlflow_conformance.transport.mlflow_client import driver_session

from ..deployment import Deployment
from ..findings import Finding, Findings, Outcome
from . import registry_model as tiny
from .diagnosis import classify
from .steps import StepFailed, Steps, judge_all

AWAIT_SECONDS = 30
ALIAS, DROPPED_ALIAS = "champion", "challenger"
# A failed load keeps these diagnoses; any other failure of the load itself is model_unloadable.
LOAD_KEEPS = {"alias_not_found", "stage_not_found", "endpoint_missing", "connection_refused",
              "timeout", "auth_required", "permission_denied", "host_rejected", "artifact_failed"}
REQUIREMENTS = {
    "registered_model": (["create_registered_model", "read_registered_model"],
                         "a registered model with a dotted name was created and read back"),
    "version": (["log_model", "register_version"],
                "a version registered from runs:/<run_id>/model is READY"),
    "description": (["update_description"], "the version's description was updated"),
    "aliases": (["set_aliases", "get_alias", "delete_alias"],
                "aliases were set, resolved to the version, and deleted"),
    "load_alias": (["load_by_alias"], "models:/<name>@<alias> loaded and predicted correctly"),
    "stages": (["stage_transition"], "the version moved to Staging, then Production"),
    "load_stage": (["load_by_stage"], "models:/<name>/Production loaded and predicted correctly"),
    "documented_source": (["documented_create_version"],
                          "create_model_version(source='runs:/<run_id>/model') as documented "
                          "made a version that holds the model"),
}
# What run_lifecycle concludes, as catalog checks name it (tracking.registry:<key>).
FINDINGS = (*REQUIREMENTS, "stages_deprecated")


class RegistryLifecycle:
    def __init__(self, deployment: Deployment, ledger: Ledger) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(deployment.tracking_uri, deployment.tracking_uri)
        self.ledger = ledger
        token = secrets.token_hex(3)
        self.name = model_name(ledger.run_id, "production.fraud_detection", token)
        self.experiment = experiment_name(ledger.run_id, f"registry-{token}")
        self.model: Any = None
        self.frame: Any = None
        self.run_id = self.version = ""
        self.stage_warnings: list[str] = []
        self.steps = Steps()

    def log_model(self) -> dict[str, Any]:
        import mlflow

        experiment_id = self.client.create_experiment(self.experiment,
                                                      tags={RUN_TAG: self.ledger.run_id})
        self.ledger.record("experiment", experiment_id, name=self.experiment)
        self.model, self.frame = tiny.train()
        with mlflow.start_run(experiment_id=experiment_id, run_name="registry-model",
                              tags={RUN_TAG: self.ledger.run_id}) as run:
            self.run_id = run.info.run_id
            self.ledger.record("run", self.run_id, experiment_id=experiment_id)
            info = tiny.log(self.model, self.frame)
        return {"experiment_id": experiment_id, "run_id": self.run_id,
                "model_uri": info.model_uri}

    def create_registered_model(self) -> dict[str, Any]:
        self.ledger.record("registered_model", self.name)  # before: the name is known
        self.client.create_registered_model(self.name, tags={RUN_TAG: self.ledger.run_id},
                                            description="conformance canary model")
        return {"name": self.name}

    def read_registered_model(self) -> None:
        found = self.client.get_registered_model(self.name)
        if found.name != self.name or found.tags.get(RUN_TAG) != self.ledger.run_id:
            raise StepFailed("roundtrip_mismatch", f"read back {found.name!r} with tags "
                             f"{found.tags}", "check the registry tables of the backend database")

    def register_version(self) -> dict[str, Any]:
        import mlflow

        version = mlflow.register_model(f"runs:/{self.run_id}/model", self.name,
                                        await_registration_for=AWAIT_SECONDS)
        self.version = str(version.version)
        status = self.client.get_model_version(self.name, self.version).status
        if status != "READY":
            raise StepFailed("version_not_ready", f"version {self.version} is {status} after "
                             f"{AWAIT_SECONDS} s", "read the tracking server's log",
                             status=status)
        return {"version": self.version, "source": version.source}

    def documented_create_version(self) -> dict[str, Any]:
        created = self.client.create_model_version(  # P7.2, verbatim
            name=self.name, source=f"runs:/{self.run_id}/model", run_id=self.run_id,
            await_creation_for=AWAIT_SECONDS)
        uri = f"models:/{self.name}/{created.version}"
        try:
            return self._load_and_predict(uri)
        except StepFailed as failed:
            if failed.code != "model_unloadable":
                raise
            raise StepFailed(
                "documented_source_empty", f"version {created.version} made by the documented "
                f"create_model_version(source='runs:/{self.run_id}/model') cannot be loaded "
                f"({failed.message}); with MLflow 3 a logged model lives outside the run's "
                "artifacts", "register with mlflow.register_model('runs:/<run_id>/model', name) "
                "or pass source='models:/<model_id>' and model_id; update the platform's "
                "documentation", outcome="warn", uri=uri) from failed

    def update_description(self) -> None:
        text = f"fraud model, canary {self.ledger.run_id}"
        self.client.update_model_version(self.name, self.version, description=text)
        got = self.client.get_model_version(self.name, self.version).description
        if got != text:
            raise StepFailed("roundtrip_mismatch", f"description reads {got!r}, wrote {text!r}",
                             "check the registry tables of the backend database")

    def set_aliases(self) -> None:
        for alias in (ALIAS, DROPPED_ALIAS):
            self.client.set_registered_model_alias(self.name, alias, self.version)

    def get_alias(self) -> dict[str, Any]:
        version = self.client.get_model_version_by_alias(self.name, ALIAS).version
        if str(version) != self.version:
            raise StepFailed("roundtrip_mismatch", f"alias {ALIAS} points at version {version}, "
                             f"set to {self.version}", "check the registry tables")
        return {"alias": ALIAS, "version": str(version)}

    def delete_alias(self) -> None:
        self.client.delete_registered_model_alias(self.name, DROPPED_ALIAS)
        try:
            left = self.client.get_model_version_by_alias(self.name, DROPPED_ALIAS)
        except Exception as exc:
            if classify(exc).code == "alias_not_found":
                return
            raise
        raise StepFailed("roundtrip_mismatch", f"deleted alias {DROPPED_ALIAS} still resolves "
                         f"to version {left.version}", "check the registry tables")

    def _load_and_predict(self, uri: str) -> dict[str, Any]:
        import mlflow.pyfunc

        try:
            loaded = mlflow.pyfunc.load_model(uri)
        except Exception as exc:
            if classify(exc).code in LOAD_KEEPS:
                raise
            raise StepFailed("model_unloadable", f"loading {uri}: {classify(exc).message}",
                             "check the version's source and the artifact store", uri=uri
                             ) from exc
        rows = self.frame.head(tiny.ROWS_TO_PREDICT)
        wrong = tiny.compare(self.model.predict(rows), loaded.predict(rows))
        if wrong:
            raise StepFailed("registry_prediction_mismatch",
                             f"{uri} predicts differently: {wrong[:3]}",
                             "the registered files are not the logged model", uri=uri)
        return {"uri": uri, "rows": len(rows)}

    def load_by_alias(self) -> dict[str, Any]:
        return self._load_and_predict(f"models:/{self.name}@{ALIAS}")

    def stage_transition(self) -> dict[str, Any]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FutureWarning)
            for stage in ("Staging", "Production"):
                self.client.transition_model_version_stage(self.name, self.version, stage)
                got = self.client.get_model_version(self.name, self.version).current_stage
                if got != stage:
                    raise StepFailed("roundtrip_mismatch", f"after transition to {stage} the "
                                     f"version is in {got!r}", "check the registry tables")
        self.stage_warnings += [str(w.message)[:300] for w in caught
                                if issubclass(w.category, FutureWarning)]
        return {"stage": "Production"}

    def load_by_stage(self) -> dict[str, Any]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FutureWarning)
            found = self._load_and_predict(f"models:/{self.name}/Production")
        self.stage_warnings += [str(w.message)[:300] for w in caught
                                if issubclass(w.category, FutureWarning)]
        return found

    def run(self) -> dict[str, Finding]:
        run = self.steps.run
        run("log_model", self.log_model)
        run("create_registered_model", self.create_registered_model)
        run("read_registered_model", self.read_registered_model,
            needs=["create_registered_model"])
        run("register_version", self.register_version,
            needs=["log_model", "create_registered_model"])
        run("update_description", self.update_description, needs=["register_version"])
        run("set_aliases", self.set_aliases, needs=["register_version"])
        run("get_alias", self.get_alias, needs=["set_aliases"])
        run("delete_alias", self.delete_alias, needs=["set_aliases"])
        run("load_by_alias", self.load_by_alias, needs=["set_aliases"])
        run("stage_transition", self.stage_transition, needs=["register_version"])
        run("load_by_stage", self.load_by_stage, needs=["stage_transition"])
        # Last: it adds a version the stage and alias steps must not see.
        run("documented_create_version", self.documented_create_version,
            needs=["register_version"])
        findings = judge_all(self.steps, REQUIREMENTS)
        findings["stages_deprecated"] = deprecation_finding(
            findings["stages"], self.stage_warnings)
        return findings


def deprecation_finding(stages: Finding, future_warnings: list[str]) -> Finding:
    """Pure: stages that work but warn are reported as a warn-level finding (FAILURE-MODES F)."""
    if stages.outcome is not Outcome.PASS:
        return stages  # the stage path itself failed: same diagnosis
    evidence = {"future_warnings": future_warnings}
    if future_warnings:
        return Finding(Outcome.WARN, "stages_deprecated",
                       "model registry stages still work but are deprecated (FutureWarning: "
                       f"{future_warnings[0][:160]})", evidence,
                       "move pipelines from models:/<name>/<stage> to models:/<name>@<alias>")
    return Finding(Outcome.PASS, "ok", "stage transitions raised no deprecation warning "
                   "(client before MLflow 2.9)", evidence)


def run_lifecycle(deployment: Deployment, ledger: Ledger) -> Findings:
    """The lifecycle's findings by the keys in FINDINGS."""
    with driver_session(deployment):
        return Findings("tracking.registry", RegistryLifecycle(deployment, ledger).run())
