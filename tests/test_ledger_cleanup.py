"""The cleanup ledger: entries survive a cut line, removal is complete (purged, artifacts and
S3 objects gone), the controller finishes what workers left, and without the backend
database experiments go to the server's trash, which says so."""

import json
import secrets
from dataclasses import replace
from typing import Any

import pytest

from mlflow_conformance.cleanup import removal, sweep
from mlflow_conformance.cleanup.ledger import (
    RUN_TAG,
    Ledger,
    experiment_name,
    model_name,
    s3_prefix,
)
from mlflow_conformance.transport.rest import Rest, RestError


@pytest.fixture
def run_id():
    return "mcselftest" + secrets.token_hex(4)


def make_entities(deployment, book):
    """An experiment with a run, a registered model and an S3 object, each recorded."""
    rest = Rest.for_deployment(deployment)
    name = experiment_name(book.run_id, "ledger")
    experiment_id = rest.post("/experiments/create", name=name,
                              tags=[{"key": RUN_TAG, "value": book.run_id}])["experiment_id"]
    book.record("experiment", experiment_id, name=name)
    run = rest.post("/runs/create", experiment_id=experiment_id,
                    tags=[{"key": RUN_TAG, "value": book.run_id}])["run"]["info"]["run_id"]
    book.record("run", run, experiment_id=experiment_id)
    model = model_name(book.run_id, "production.ledger", "0")
    book.record("registered_model", model)
    rest.post("/registered-models/create", name=model,
              tags=[{"key": RUN_TAG, "value": book.run_id}])
    key = s3_prefix(book.run_id) + "object.txt"
    book.record("s3_prefix", f"{deployment.bucket}/{s3_prefix(book.run_id)}")
    removal.s3_client(deployment, deployment.driver_identity).put_object(
        Bucket=deployment.bucket, Key=key, Body=b"x")
    return experiment_id, run


def test_ledger_keeps_whole_lines_and_forgets_removed_entries(tmp_path):
    book = Ledger(tmp_path / "ledger-gw0.jsonl", "mc1")
    first = book.record("experiment", "7", name="/conformance/mc1/x")
    book.record("run", "abc", experiment_id="7")
    with open(book.path, "a") as out:
        out.write('{"kind": "registered_mo')  # a line cut by a kill
    assert [(e.kind, e.ident) for e in book.entries()] == [("experiment", "7"), ("run", "abc")]
    book.forget([first])
    assert [e.ident for e in book.entries()] == ["abc"]
    assert json.loads(book.path.read_text())["details"] == {"experiment_id": "7"}
    book.forget(book.entries())
    assert not book.path.exists()


def test_controller_removes_what_workers_left(deployment, tmp_path, run_id):
    shared = tmp_path / "shared"
    experiment_id, run = make_entities(deployment, Ledger(shared / "ledger-gw0.jsonl", run_id))
    assert len(removal.pending(shared)) == 4
    outcome = removal.finish_ledgers(shared, deployment)
    assert outcome.failed == []
    assert sorted(e.kind for e in outcome.removed) == [
        "experiment", "registered_model", "run", "s3_prefix"]
    assert any("purged 1 experiment(s) and 1 run(s)" in n for n in outcome.notes)
    assert removal.pending(shared) == []
    assert removal.ledger_files(shared) == []
    assert sweep.find_leftovers(deployment, [run_id]) == []
    rest = Rest.for_deployment(deployment)
    for path, key, ident in (("/experiments/get", "experiment_id", experiment_id),
                             ("/runs/get", "run_id", run)):
        with pytest.raises(RestError) as gone:  # purged, not merely soft-deleted
            rest.get(path, **{key: ident})
        assert gone.value.not_found


def test_without_backend_database_experiments_go_to_trash_and_say_so(deployment, tmp_path,
                                                                     run_id):
    book = Ledger(tmp_path / "ledger-main.jsonl", run_id)
    experiment_id, _ = make_entities(deployment, book)
    no_database = replace(deployment, backend_db_uri=None)
    outcome = removal.remove_entries(book.entries(), no_database)
    assert outcome.failed == []
    assert any("stay in the server's trash" in n for n in outcome.notes)
    found = Rest.for_deployment(deployment).get("/experiments/get",
                                                experiment_id=experiment_id)["experiment"]
    assert found["lifecycle_stage"] == "deleted"
    assert found["name"] == removal.trash_name(run_id, experiment_id)
    # Sweep finds the trash by name and tag, and with the database purges it.
    report = sweep.sweep(deployment, [run_id])
    assert [e.kind for e in report.removal.removed] == ["experiment"]
    assert "purged 1 experiment(s) and 1 run(s) from the backend database" in report.lines()
    assert sweep.sweep(deployment, [run_id]).found == []


def test_an_entry_recorded_twice_is_removed_once(tmp_path):
    """Checks that share a harness prefix each record it; removal runs once per entity."""
    from mlflow_conformance.cleanup.ledger import remove

    book = Ledger(tmp_path / "ledger.jsonl", "mcselftest0")
    for kind, ident in (("s3_prefix", "b/p/"), ("run", "r1"), ("s3_prefix", "b/p/")):
        book.record(kind, ident)
    calls: list[Any] = []
    removal = remove(book.entries(), {"s3_prefix": calls.append, "run": calls.append})
    assert [(e.kind, e.ident) for e in calls] == [("s3_prefix", "b/p/"), ("run", "r1")]
    assert removal.failed == []
    book.forget(removal.removed)
    assert book.entries() == []
