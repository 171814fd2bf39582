"""Remove what the ledger records, completely: nothing harness-made may stay on the server.

MLflow's REST API only soft-deletes experiments and runs, so removal has two phases: first
every entry is deleted through the API (artifacts too, through the server or S3), then,
when the deployment names its backend database, the soft-deleted experiments and runs are
purged for good (mlflow_conformance.purge). Without the database they are renamed under
``/conformance/trash/`` and stay in the server's trash; the Removal's notes say so.

Used by the `ledger` fixture at the end of a session, by the controller after an
interrupted run (finish_ledgers), and by `sweep`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mlflow_conformance.cleanup.ledger import NAME_PREFIX, Entry, Ledger, Removal, Remover, remove
from mlflow_conformance.cleanup.purge import purge
from mlflow_conformance.transport import s3client
from mlflow_conformance.transport.rest import Rest, RestError

from ..deployment import Deployment, S3Identity

log = logging.getLogger("mlflow_conformance")


def s3_client(deployment: Deployment, identity: S3Identity | None, timeout: float = 5.0) -> Any:
    """An S3 client for the deployment's endpoint, verifying it with the deployment's
    --s3-ca-bundle like every other S3 client of the harness (see s3client)."""
    return s3client.s3_client(deployment.s3_endpoint, identity, timeout,
                              ca_bundle=deployment.s3_ca_bundle)


def delete_s3_prefix(deployment: Deployment, bucket: str, prefix: str) -> int:
    """Delete every object under ``prefix/`` (never a sibling like ``prefix10/``), then the
    folder keys above them: S3 servers with a file system underneath (SeaweedFS) otherwise
    keep empty folders that listings still show."""
    prefix = prefix.rstrip("/") + "/"
    s3 = s3_client(deployment, deployment.driver_identity)
    folders = {prefix}
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [obj["Key"] for obj in page.get("Contents", [])]
        for key in keys:
            parts = key[len(prefix):].split("/")[:-1]
            folders |= {prefix + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)}
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys],
                                                     "Quiet": True})
            count += len(keys)
    for folder in sorted(folders, key=len, reverse=True):
        s3.delete_object(Bucket=bucket, Key=folder)
    return count


def trash_name(run_id: str, experiment_id: str) -> str:
    return f"/{NAME_PREFIX}/trash/{run_id}/{experiment_id}"


class Removers:
    """Removers for one deployment; remembers what must still be purged afterwards."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.rest = Rest.for_deployment(deployment)
        self.experiments: list[str] = []
        self.runs: list[str] = []
        self.notes: list[str] = []

    def by_kind(self) -> dict[str, Remover]:
        return {"experiment": self.experiment, "run": self.run,
                "registered_model": self.registered_model, "s3_prefix": self.s3_prefix}

    def delete_artifacts(self, location: str) -> None:
        parsed = urlparse(location)
        if parsed.scheme == "mlflow-artifacts":
            self.rest.delete_artifacts(parsed.path)
        elif parsed.scheme in ("http", "https") and "/mlflow-artifacts/artifacts/" in location:
            self.rest.delete_artifacts(parsed.path.split("/mlflow-artifacts/artifacts/", 1)[1])
        elif parsed.scheme in ("s3", "s3a") and self.deployment.s3_endpoint:
            delete_s3_prefix(self.deployment, parsed.netloc, parsed.path.lstrip("/"))
        else:
            self.notes.append(f"artifacts at {location} were left: no remover for that scheme")

    def experiment(self, entry: Entry) -> None:
        try:
            found = self.rest.get("/experiments/get", experiment_id=entry.ident)["experiment"]
        except RestError as exc:
            if exc.not_found:
                return  # already gone
            raise
        self.delete_artifacts(found.get("artifact_location", ""))
        if found.get("lifecycle_stage") == "active":
            if not self.deployment.backend_db_uri:
                self.rest.post("/experiments/update", experiment_id=entry.ident,
                               new_name=trash_name(entry.run_id, entry.ident))
            self.rest.post("/experiments/delete", experiment_id=entry.ident)
        self.experiments.append(entry.ident)

    def run(self, entry: Entry) -> None:
        try:
            info = self.rest.get("/runs/get", run_id=entry.ident)["run"]["info"]
        except RestError as exc:
            if exc.not_found:
                return
            raise
        self.delete_artifacts(info.get("artifact_uri", ""))
        if info.get("lifecycle_stage") == "active":
            self.rest.post("/runs/delete", run_id=entry.ident)
        self.runs.append(entry.ident)

    def registered_model(self, entry: Entry) -> None:
        # A hard delete, with all versions; their files live in the run's experiment.
        try:
            self.rest.call("DELETE", "/api/2.0/mlflow/registered-models/delete",
                           body={"name": entry.ident})
        except RestError as exc:
            if exc.status != 404:  # no such model, or no registry route: nothing to remove
                raise

    def s3_prefix(self, entry: Entry) -> None:
        bucket, _, prefix = entry.ident.partition("/")
        delete_s3_prefix(self.deployment, bucket, prefix)

    def finish(self) -> Removal:
        """Purge what was soft-deleted, or say that it stays in the server's trash."""
        outcome = Removal(notes=list(self.notes))
        if not self.experiments and not self.runs:
            return outcome
        if not self.deployment.backend_db_uri:
            outcome.notes.append(
                f"soft-deleted {len(self.experiments)} experiment(s) and {len(self.runs)} "
                f"run(s) (experiments renamed under /{NAME_PREFIX}/trash/); without the "
                "backend database they stay in the server's trash until `mlflow gc` runs")
            return outcome
        done = purge(self.deployment.backend_db_uri, self.experiments, self.runs)
        outcome.notes.append(f"purged {len(done['experiments'])} experiment(s) and "
                             f"{len(done['runs'])} run(s) from the backend database")
        outcome.notes += [f"not purged: {skip}" for skip in done["skipped"]]
        return outcome


def remove_entries(entries: Iterable[Entry], deployment: Deployment) -> Removal:
    """Remove every entry (newest first), then purge; a failure never stops the rest."""
    removers = Removers(deployment)
    outcome = remove(entries, removers.by_kind())
    try:
        outcome.merge(removers.finish())
    except Exception as exc:  # noqa: BLE001 - reported; the ledger keeps them for a retry
        purged_kinds = ("experiment", "run")
        kept = [e for e in outcome.removed if e.kind in purged_kinds]
        outcome.removed = [e for e in outcome.removed if e.kind not in purged_kinds]
        outcome.failed += [(e, f"soft-deleted, not purged: {exc}") for e in kept]
    return outcome


def ledger_files(shared_dir: Path) -> list[Path]:
    return sorted(shared_dir.glob("ledger-*.jsonl"))


def pending(shared_dir: Path) -> list[Entry]:
    """What the run's ledgers still list (workers remove their own at session end)."""
    return [e for path in ledger_files(shared_dir) for e in Ledger(path, "").entries()]


def settle(books: Iterable[Ledger], deployment: Deployment) -> Removal:
    """Remove what the ledgers list, in one pass (one purge of the backend database), and
    strike what went from each; what failed stays listed for a later pass."""
    books = list(books)
    outcome = remove_entries([e for book in books for e in book.entries()], deployment)
    for book in books:
        book.forget(outcome.removed)
    return outcome


def finish_ledgers(shared_dir: Path, deployment: Deployment) -> Removal:
    """Controller side, at the very end: remove what workers could not (Ctrl-C, a crash)."""
    return settle([Ledger(path, "") for path in ledger_files(shared_dir)], deployment)


def log_removal(outcome: Removal) -> None:
    for note in outcome.notes:
        log.info("cleanup: %s", note)
    for entry, reason in outcome.failed:
        log.warning("could not remove %s %s: %s", entry.kind, entry.ident, reason)
