"""Interrupted runs: Ctrl-C still removes everything the run created (pytest tears the
ledger down); a run killed outright leaves its entities, which `sweep` then removes, and a
second sweep finds nothing. The suites run as a user runs them, in a subprocess."""

import argparse
import json
import os
import signal
import subprocess
import time

import pytest

from mlflow_conformance.cleanup import sweep
from tests.registry_helpers import start_suites, target_args, target_env


def ledger_entries(tmp_path):
    """What the running harness has recorded so far (its run id is in every entry)."""
    found = []
    for path in (tmp_path / "tmp").glob("mlflow-conformance-run-*/ledger-*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def wait_until_created(proc, deployment, tmp_path, kind, on_server, timeout=120):
    """Poll the ledger until it lists ``kind`` (it names the run id), then the server until
    it holds an entity of kind ``on_server`` made by that run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
        entries = ledger_entries(tmp_path)
        if any(e["kind"] == kind for e in entries):
            run_id = entries[0]["run_id"]
            if any(e.kind == on_server for e in sweep.find_leftovers(deployment, [run_id])):
                return run_id
        time.sleep(0.3)
    pytest.fail(f"no {kind} appeared within {timeout} s")


def finish(proc, how, timeout=120):
    if how is signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, how)  # the pytest process, as a terminal's Ctrl-C reaches it
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: s.name)
def test_a_signal_halfway_removes_what_the_run_created(deployment, tmp_path, how):
    """Ctrl-C, a CI cancellation (SIGTERM) and a closed terminal (SIGHUP) end a run alike:
    exit 2, the reports hold what ran, and nothing the run created is left — entities and
    S3 objects on the server, the run's temporary folder here."""
    proc = start_suites(deployment, tmp_path)
    # The registry suite's model: the tracking suite before it has finished its checks.
    run_id = wait_until_created(proc, deployment, tmp_path, "registered_model",
                                "registered_model")
    assert finish(proc, how) == pytest.ExitCode.INTERRUPTED, \
        (tmp_path / "run.log").read_text()[-3000:]
    assert sweep.find_leftovers(deployment, [run_id]) == []
    assert list((tmp_path / "tmp").glob("mlflow-conformance-run-*")) == []
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert (results["run_id"], results["gate"]["exit_code"]) == (run_id, 2)
    finished = {t["requirements"][0] for t in results["tests"]}
    assert {f"TRK-00{i}" for i in range(1, 8)} <= finished, "the reports hold what ran"


def test_killed_run_leaves_entities_that_sweep_removes(deployment, tmp_path, monkeypatch,
                                                       capsys):
    proc = start_suites(deployment, tmp_path)
    run_id = wait_until_created(proc, deployment, tmp_path, "registered_model",
                                "registered_model")
    finish(proc, signal.SIGKILL)
    left = sweep.find_leftovers(deployment, [run_id])
    assert {"experiment", "registered_model"} <= {e.kind for e in left}
    # The command, as the CLI will run it: a dry run lists, removes nothing.
    for key, value in target_env(deployment).items():
        monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser()
    sweep.add_parser(parser.add_subparsers())
    args = parser.parse_args(["sweep", *target_args(deployment, deployment.tracking_uri),
                              "--run-id", run_id, "--dry-run"])
    assert sweep.run(args) == 0
    listed = capsys.readouterr().out
    assert f"would remove registered_model production.fraud_detection.conformance_{run_id}" \
        in listed
    assert sweep.find_leftovers(deployment, [run_id]) == left
    report = sweep.sweep(deployment, [run_id])
    assert report.removal.failed == []
    assert sorted(e.ident for e in report.removal.removed) == sorted(e.ident for e in left)
    # A second sweep finds nothing (the command's JSON report says so).
    again = parser.parse_args(["sweep", *target_args(deployment, deployment.tracking_uri),
                               "--run-id", run_id, "--json"])
    assert sweep.run(again) == 0
    assert json.loads(capsys.readouterr().out) == {"dry_run": False, "found": 0, "removed": [],
                                                   "failed": [], "notes": [],
                                                   "orphaned_stacks": []}
