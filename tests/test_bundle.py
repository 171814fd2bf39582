"""--collect on a real run (the connectivity suite against the session's embedded stack): the
bundle holds the reports, the environment, the server's version, the harness's and the
stack's logs; its manifest matches its content exactly; secrets planted in a server's log
reach no byte of it and redaction.json counts them; `analyze` gives the run's verdict back
with no server."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_conformance.report import schema
from mlflow_conformance.stack.lifecycle import load_pointed
from tests.test_bundle_cli import assert_manifest_matches, unpacked

ROOT = Path(__file__).parent.parent
EXPECTED_FILES = {"results.json", "report.html", "junit.xml", "environment.json",
                  "server/version.json", "logs/harness-controller.log", "stack/postgresql.log",
                  "stack/seaweedfs.log", "stack/mlflow-server.log", "redaction.json"}


@pytest.fixture(scope="module")
def collected(deployment, stack_pointer, tmp_path_factory):
    """One real run with --collect, after planting secrets in the stack's server log: a
    secret the run registers (given as --s3-secret-key's variable), one of the stack itself
    (its S3 secret key) and one only a pattern finds (password=)."""
    planted = {"option": "plantedOption" + secrets.token_hex(8),
               "stack": deployment.driver_identity.secret_key,
               "pattern": "plantedPattern" + secrets.token_hex(8)}
    state = load_pointed(stack_pointer)
    assert state is not None
    server_log = next(Path(p.log) for p in state.processes if p.name == "mlflow-server")
    line = (f"planted-by-test_bundle {planted['option']} {planted['stack']} "
            f"password={planted['pattern']}\n")
    with open(server_log, "a", encoding="utf-8") as log:
        log.write(line)
    report = tmp_path_factory.mktemp("collected") / "report"
    env = {**os.environ, "MLFLOW_CONFORMANCE_STACK_POINTER": str(stack_pointer),
           "MLFLOW_CONFORMANCE_S3_SECRET_KEY": planted["option"]}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--collect", "--report-dir", str(report),
                           "suites/test_connectivity.py"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done, report, planted


def test_the_run_writes_its_bundle_and_the_reports_name_it(collected):
    done, report, _ = collected
    assert f"bundle: {(report / 'bundle.tar.gz').resolve()} " in done.stdout
    results = json.loads((report / "results.json").read_text())
    assert results["bundle"] == "bundle.tar.gz"
    assert schema.problems(results) == []
    assert '<a id="bundle" href="bundle.tar.gz">' in (report / "report.html").read_text()


def test_the_manifest_lists_exactly_what_the_bundle_holds(collected, deployment):
    _, report, _ = collected
    manifest = assert_manifest_matches(report / "bundle.tar.gz")
    assert {f["path"] for f in manifest["files"]} == EXPECTED_FILES
    members = unpacked(report / "bundle.tar.gz")
    results = json.loads((report / "results.json").read_text())
    for name in ("results.json", "report.html", "junit.xml"):  # nothing to redact in them
        assert members[name] == (report / name).read_bytes(), name
    assert json.loads(members["environment.json"]) == results["environment"]
    assert json.loads(members["server/version.json"])["version"] == deployment.server_version
    omitted = {o["path"]: o["reason"] for o in manifest["omitted"]}
    assert omitted == {"server/capabilities.json": "the run records no server capabilities"}
    assert (manifest["run_id"], manifest["verdict"]) == (results["run_id"], results["verdict"])
    assert "reusing the stack kept up at" in members["logs/harness-controller.log"].decode()
    sources = {f["path"]: f["source"] for f in manifest["files"]}
    assert sources["stack/mlflow-server.log"] == "embedded stack: mlflow-server log"


def test_planted_secrets_reach_no_byte_of_the_bundle_and_are_counted(collected, deployment):
    _, report, planted = collected
    every_byte = gzip.decompress((report / "bundle.tar.gz").read_bytes())
    for name, secret in planted.items():
        assert secret.encode() not in every_byte, name
    password = deployment.backend_db_uri.split(":")[2].split("@")[0]
    assert password.encode() not in every_byte
    server_log = unpacked(report / "bundle.tar.gz")["stack/mlflow-server.log"].decode()
    # The line is there, redacted: it was collected, not left out.
    assert ("planted-by-test_bundle [REDACTED] [REDACTED] password=[REDACTED]"
            in server_log.splitlines())
    redaction = json.loads(unpacked(report / "bundle.tar.gz")["redaction.json"])
    counts = {e["rule"]: e["count"] for e in redaction if e["file"] == "stack/mlflow-server.log"}
    assert counts["known-secret"] >= 2
    assert counts["named-secret"] >= 1


def test_analyze_gives_the_runs_verdict_back_with_no_server(collected, tmp_path):
    done, report, _ = collected
    alone = tmp_path / "attachment.tar.gz"
    shutil.copy(report / "bundle.tar.gz", alone)
    dead = "http://127.0.0.1:9"  # anything reaching out would fail
    env = {**os.environ, "MLFLOW_CONFORMANCE_STACK_POINTER": str(tmp_path / "no-pointer"),
           "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "MLFLOW_TRACKING_URI": dead}
    analyzed = subprocess.run([sys.executable, "-m", "mlflow_conformance", "analyze",
                               str(alone)], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
    assert analyzed.returncode == 0, analyzed.stderr
    verdict = next(line for line in done.stdout.splitlines() if line.startswith("verdict: "))
    assert analyzed.stdout.splitlines()[0] == verdict
    page = (tmp_path / "attachment-analysis" / "report.html").read_text()
    results = json.loads((report / "results.json").read_text())
    assert f'<div class="verdict" id="verdict">{results["verdict"]}</div>' in page
