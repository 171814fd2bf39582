"""--collect on a real run (the connectivity suite against the session's embedded stack): the
bundle holds the reports, the environment, the server's version and capabilities, the
harness's and the stack's logs; its manifest matches its content exactly; secrets planted in a
server's log reach no byte of it and redaction.json counts them; `analyze` gives the run's
verdict back with no server. Then the bundle's pure parts: the capabilities read from the
verdicts, the cluster files' bounds, their snapshot and the secrets they carry."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlflow_conformance.bundle.archive import BundleFile, Omitted
from mlflow_conformance.bundle.cluster import (
    ClusterFiles,
    ClusterScope,
    keep_probe_log,
    label_selector,
    literal_secrets,
    newest_events,
    refusal,
    snapshot,
    tailed_log,
    without_managed_fields,
)
from mlflow_conformance.bundle.collect import (
    TAIL_BYTES,
    TAIL_LINES,
    CollectContext,
    capabilities,
    collect_bundle,
)
from mlflow_conformance.redact import MASK, Redactor
from mlflow_conformance.report import schema
from mlflow_conformance.stack.lifecycle import load_pointed
from tests.test_bundle_cli import assert_manifest_matches, unpacked

ROOT = Path(__file__).parent.parent
EXPECTED_FILES = {"results.json", "report.html", "junit.xml", "environment.json",
                  "server/version.json", "server/capabilities.json",
                  "logs/harness-controller.log", "stack/postgresql.log",
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
    assert manifest["omitted"] == []
    assert json.loads(members["server/capabilities.json"]) == {
        name: {"supported": True, "checks": {check: {"outcome": "pass", "code": "ok"}}}
        for name, check in (("version_endpoint", "NET-004"), ("rest_api_json", "NET-005"))}
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


# -- the bundle's pure parts ------------------------------------------------------------------

def _test(requirement, outcome, code):
    return {"nodeid": f"suites/x.py::{requirement}", "requirements": [requirement],
            "outcome": outcome, "code": code}


def test_capabilities_are_what_the_verdicts_show_and_no_more():
    results = {"tests": [_test("CMP-003", "fail", "logged_models_missing"),
                         _test("NET-005", "fail", "timeout"),  # says nothing of JSON
                         _test("REG-001", "pass", "ok"), _test("REG-002", "skip", "skipped"),
                         _test("PLT-004", "fail", "auth_required"),  # there, the token wrong
                         _test("TRK-001", "error", "harness_error")]}
    found = capabilities(results)
    assert {name: entry["supported"] for name, entry in found.items()} == {
        "logged_models_api": False, "rest_api_json": None, "model_registry": True,
        "authentication_at_ingress": None, "tracking": None}
    assert found["model_registry"]["checks"] == {
        "REG-001": {"outcome": "pass", "code": "ok"},
        "REG-002": {"outcome": "skip", "code": "skipped"}}
    assert capabilities({"tests": []}) == {}


def test_a_log_cut_at_its_byte_bound_is_asked_again_for_its_end():
    asked = []
    line = b"x" * 199 + b"\n"
    log = line * (2 * TAIL_BYTES // len(line))  # its last TAIL_LINES lines: twice the bound

    def kubelet(lines):  # tailLines, then the first limitBytes of those, as the kubelet
        asked.append(lines)
        return b"".join(log.splitlines(keepends=True)[-lines:])[:TAIL_BYTES]

    content, truncated = tailed_log(kubelet)
    assert truncated
    assert asked == [TAIL_LINES, TAIL_BYTES // len(line)]
    assert log.endswith(content)  # the end of the log, not the start of its tail
    short = b"one\ntwo\n"
    assert tailed_log(lambda lines: short) == (short, False)
    assert tailed_log(lambda lines: b"l\n" * TAIL_LINES)[1]  # as many lines as asked: cut


def test_selectors_events_and_what_an_object_carries():
    deployment = {"spec": {"selector": {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["x", "y"]},
                             {"key": "canary", "operator": "DoesNotExist"}]}}}
    assert label_selector(deployment) == "a=1,b=2,tier in (x,y),!canary"
    assert label_selector({}) == ""
    events = [{"lastTimestamp": f"2026-01-01T00:00:{s:02d}Z", "metadata": {"name": str(s)}}
              for s in (5, 1, 3)] + [{"eventTime": "2026-01-01T00:00:04.000000Z",
                                      "metadata": {"name": "4"}}]
    assert [e["metadata"]["name"] for e in newest_events(events)] == ["1", "3", "4", "5"]
    # Made per run: a fixed value shaped like a credential reads as a committed one.
    literal, access_key = f"planted{secrets.token_hex(8)}", f"public{secrets.token_hex(4)}"
    pod = {"metadata": {"name": "p", "managedFields": [{"manager": "kubectl"}]},
           "spec": {"containers": [{"env": [
               {"name": "DB_PASSWORD", "value": literal},
               {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "t"}}},
               {"name": "AWS_ACCESS_KEY_ID", "value": access_key},
               {"name": "LOG_LEVEL", "value": "INFO"}]}]}}
    assert literal_secrets(pod) == [literal]
    assert "managedFields" not in without_managed_fields(pod)["metadata"]


class _ApiError(Exception):
    def __init__(self, status, body=""):
        super().__init__(f"HTTP {status}")
        self.status, self.body, self.reason = status, body, "Reason"


def test_a_refused_read_names_the_permission_and_no_answer_is_raised():
    from mlflow_conformance.cluster import rbac

    assert refusal(_ApiError(403), rbac.EVENTS, "ilum", "events of ilum") == (
        "events of ilum: permission missing: list events in ilum (HTTP 403); apply the Role "
        "from `python -m mlflow_conformance rbac`")
    assert refusal(_ApiError(404), rbac.DEPLOYMENT, "ilum", "deployment x") == (
        "deployment x: not found in ilum (HTTP 404)")
    waiting = json.dumps({"message": 'container "c" is waiting to start'})
    assert refusal(_ApiError(400, waiting), rbac.SERVER_LOGS, "ilum", "log") == (
        'log: the API answered HTTP 400: container "c" is waiting to start')
    with pytest.raises(TimeoutError):
        refusal(TimeoutError("read timed out"), rbac.EVENTS, "ilum", "events")


class _Gives:
    def __init__(self, name, *items):
        self.name, self.items = name, items

    def collect(self, scope):
        yield from self.items


def test_the_cluster_snapshot_reaches_the_bundle_and_its_secrets_do_not(tmp_path):
    literal, probe_secret = (f"planted{secrets.token_hex(8)}" for _ in range(2))
    deployment = {"spec": {"template": {"spec": {"containers": [{"env": [
        {"name": "MLFLOW_TRACKING_PASSWORD", "value": literal}]}]}}}}
    old, new = tmp_path / "cluster-gw0", tmp_path / "cluster-gw1"
    scope = ClusterScope(None, "ilum", ("ilum",), "d", "s", time.monotonic() + 5, 5)  # type: ignore[arg-type]
    snapshot(scope, old, [_Gives("old", BundleFile("cluster/service.json", "old", b"{}"))])
    time.sleep(0.01)  # the newer snapshot is the later view of the cluster
    snapshot(scope, new, [_Gives("new", BundleFile(
        "cluster/deployment.json", "API", json.dumps(deployment).encode()),
        Omitted("cluster/events.json", "API", "events of ilum: permission missing"),
        BundleFile("logs/tracking-server-p.log", "API", f"as {literal}\n".encode(), True))])
    os.utime(old / "snapshot.json", (1, 1))
    assert (new / "snapshot.json").stat().st_mode & 0o777 == 0o600  # not yet redacted
    keep_probe_log(old, "spark-jobs", "mc-x-probe-0", f"{probe_secret}\n{{}}\n")
    context = CollectContext(tmp_path, {"target": {"kind": "cluster"}},
                             cluster_dirs=[old, new])
    packed = collect_bundle(context, Redactor([probe_secret]), [ClusterFiles()])
    manifest = assert_manifest_matches(packed.path)
    assert {f["path"]: f["truncated"] for f in manifest["files"]} == {
        "cluster/deployment.json": False, "logs/tracking-server-p.log": True,
        "logs/probe-mc-x-probe-0.log": False, "redaction.json": False}
    assert manifest["omitted"] == [{"path": "cluster/events.json", "source": "API",
                                    "reason": "events of ilum: permission missing"}]
    every_byte = gzip.decompress(packed.path.read_bytes())
    assert literal.encode() not in every_byte
    assert probe_secret.encode() not in every_byte
    sources = {f["path"]: f["source"] for f in manifest["files"]}
    assert sources["logs/probe-mc-x-probe-0.log"].startswith("probe pod spark-jobs/mc-x-probe-0")
    none = collect_bundle(CollectContext(tmp_path, {"target": {"kind": "cluster"}}),
                          Redactor(), [ClusterFiles()], destination=tmp_path / "none.tar.gz")
    assert [o["path"] for o in none.manifest["omitted"]] == ["cluster/"]


def test_a_reference_to_a_secret_keeps_its_names():
    """secretKeyRef names where a value is, not the value: a support engineer needs which
    Secret and key; a value beside it under a secret-looking name is still masked."""
    redactor = Redactor()
    env = [{"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
           {"name": "TOKEN", "token": f"planted{secrets.token_hex(8)}"}]
    assert redactor.scrub(env) == [
        {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "TOKEN", "token": MASK}]
