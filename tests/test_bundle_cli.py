"""The bundle away from the run, with no server: `redact` writes a clean copy of a bundle with
planted secrets and never touches its input, `analyze` re-renders and prints the verdict,
`diff` takes bundles as it takes results.json files; the collection's bounds hold."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from mlflow_conformance.bundle import archive
from mlflow_conformance.bundle.collect import (
    TAIL_BYTES,
    TAIL_LINES,
    CollectContext,
    HarnessLog,
    collect_bundle,
    tail,
)
from mlflow_conformance.redact import MASK, Redactor, is_secret_key
from mlflow_conformance.report import baseline, schema
from mlflow_conformance.report.collector import summary_lines
from tests.test_results_model import synthetic_results

ROOT = Path(__file__).parent.parent

# What an older harness's bundle might hold: each found only by a pattern rule (the command
# knows no secret of the run that made the bundle).
# Made per run: a fixed value shaped like a real key would look like a leaked credential.
PLANTED = {
    "aws": f"planted{secrets.token_hex(16)}",
    "bearer": f"planted{secrets.token_hex(12)}",
    "uri": "pgPlantedPassw0rd",
    "json": "jsonPlantedSecret99",
    "pem": "MIIEplantedPrivateKeyBody",
}
LOG = (f"2026-01-01 starting with AWS_SECRET_ACCESS_KEY={PLANTED['aws']}\n"
       f"GET /api/2.0/mlflow/experiments/search Authorization: Bearer {PLANTED['bearer']}\n"
       f"backend postgresql://mlflow:{PLANTED['uri']}@db:5432/mlflow\n"
       f"-----BEGIN RSA PRIVATE KEY-----\n{PLANTED['pem']}\n-----END RSA PRIVATE KEY-----\n"
       "aws_access_key_id=AKIAPUBLICHALF stays: it names the identity\n")
EXPECTED_RULES = {("logs/server.log", "named-secret"), ("logs/server.log", "scheme-credential"),
                  ("logs/server.log", "uri-password"), ("logs/server.log", "private-key"),
                  ("results.json", "secret-key")}


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlflow_conformance", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def make_tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def results_bytes(count: int = 30, **evidence: str) -> bytes:
    data = synthetic_results(count).to_dict()
    data["tests"][0]["evidence"].update(evidence)
    return json.dumps(data).encode()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unpacked(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def assert_manifest_matches(path: Path) -> dict:
    members = unpacked(path)
    manifest = json.loads(members.pop(archive.MANIFEST))
    listed = {f["path"]: f for f in manifest["files"]}
    assert len(listed) == len(manifest["files"])  # no path twice
    assert set(listed) == set(members)  # every file listed, nothing unlisted
    for name, content in members.items():
        assert listed[name]["size"] == len(content), name
        assert listed[name]["sha256"] == hashlib.sha256(content).hexdigest(), name
    return manifest


@pytest.fixture
def old_bundle(tmp_path: Path) -> Path:
    # As another version made it: its own manifest, a results.json, a log with secrets.
    return make_tarball(tmp_path / "old.tar.gz", {
        "results.json": results_bytes(password=PLANTED["json"]),
        "logs/server.log": LOG.encode(),
        "manifest.json": json.dumps({"files": [{"path": "logs/server.log",
                                                "source": "mlflow server stdout",
                                                "truncated": True}]}).encode()})


def test_redact_writes_a_clean_copy_and_leaves_its_input_alone(old_bundle: Path, tmp_path):
    before = sha256(old_bundle)
    out = tmp_path / "clean.tar.gz"
    done = cli("redact", str(old_bundle), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sha256(old_bundle) == before
    every_byte = gzip.decompress(out.read_bytes())  # tar headers and contents alike
    for name, secret in PLANTED.items():
        assert secret.encode() not in every_byte, name
        assert secret in gzip.decompress(old_bundle.read_bytes()).decode()  # it was there
    assert b"AKIAPUBLICHALF" in every_byte  # the public half of a credential is evidence
    manifest = assert_manifest_matches(out)
    members = unpacked(out)
    redaction = json.loads(members["redaction.json"])
    assert {(e["file"], e["rule"]) for e in redaction} == EXPECTED_RULES
    assert all(e["count"] >= 1 for e in redaction)
    # The input's manifest still says where its files came from and what was cut.
    log_entry = next(f for f in manifest["files"] if f["path"] == "logs/server.log")
    assert (log_entry["source"], log_entry["truncated"]) == ("mlflow server stdout", True)
    assert manifest["redacted_from"]["sha256"] == before
    assert schema.problems(json.loads(members["results.json"])) == []  # still results.json
    for entry in redaction:  # the report printed is the one stored
        assert f"{entry['count']:6}  {entry['rule']:18} {entry['file']}" in done.stdout


def test_redact_of_a_redacted_bundle_finds_nothing_more(old_bundle: Path, tmp_path):
    first, second = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    assert cli("redact", str(old_bundle), "--out", str(first)).returncode == 0
    done = cli("redact", str(first), "--out", str(second))
    assert done.returncode == 0, done.stderr
    assert json.loads(unpacked(second)["redaction.json"]) == []
    assert "0 replacements" in done.stdout


def test_redact_refuses_to_overwrite_its_input(old_bundle: Path, tmp_path):
    before = sha256(old_bundle)
    link = tmp_path / "link.tar.gz"
    link.symlink_to(old_bundle)
    for out in (str(old_bundle), f"{tmp_path}/sub/../old.tar.gz", str(link)):
        (tmp_path / "sub").mkdir(exist_ok=True)
        done = cli("redact", str(old_bundle), "--out", out)
        assert done.returncode == 4, (out, done.stdout, done.stderr)
        assert "never overwrites its input" in done.stderr
    assert sha256(old_bundle) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.tar.gz", "old.tar.gz", "sub"]


def test_redact_writes_beside_its_input_by_default(old_bundle: Path):
    done = cli("redact", str(old_bundle))
    assert done.returncode == 0, done.stderr
    assert (old_bundle.parent / "old.redacted.tar.gz").is_file()


@pytest.mark.parametrize(("members", "message"), [
    ({"../escape.txt": b"x"}, "not a relative path"),  # a path out of the bundle
    ({"/etc/passwd": b"x"}, "not a relative path"),
    (None, "not a readable bundle"),  # a results.json given as the bundle
])
def test_redact_refuses_what_is_no_bundle_of_its_own(tmp_path, members, message):
    if members is None:
        bad = tmp_path / "bad.tar.gz"
        bad.write_bytes(gzip.compress(results_bytes()))  # gzip, but no tar inside
    else:
        bad = make_tarball(tmp_path / "bad.tar.gz", members)
    done = cli("redact", str(bad), "--out", str(tmp_path / "out.tar.gz"))
    assert done.returncode == 4
    assert message in done.stderr
    assert not (tmp_path / "out.tar.gz").exists()


def test_analyze_rerenders_the_report_and_prints_the_verdict(tmp_path):
    data = results_bytes()
    bundle = make_tarball(tmp_path / "bundle.tar.gz", {"results.json": data})
    done = cli("analyze", str(bundle), "--out", str(tmp_path / "again"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = synthetic_results(30)
    assert done.stdout.splitlines()[0] == summary_lines(results)[0]
    page = (tmp_path / "again" / "report.html").read_text()
    assert f'<div class="verdict" id="verdict">{results.verdict}</div>' in page
    assert cli("analyze", str(bundle), cwd=tmp_path).returncode == 0
    assert (tmp_path / "bundle-analysis" / "report.html").is_file()


@pytest.mark.parametrize(("members", "message"), [
    ({"logs/x.log": b"no results"}, "holds no results.json"),
    ({"results.json": b'{"schema_version": "1.0"}'}, "does not match results.schema.json"),
])
def test_analyze_rejects_a_bundle_it_cannot_judge(tmp_path, members, message):
    bundle = make_tarball(tmp_path / "bundle.tar.gz", members)
    done = cli("analyze", str(bundle))
    assert done.returncode == 4
    assert message in done.stderr


def test_diff_takes_bundles_as_it_takes_results_files(tmp_path):
    old_json, new_json = tmp_path / "old.json", tmp_path / "new.json"
    old_json.write_bytes(results_bytes(30))
    new = json.loads(results_bytes(30))
    broken = next(r for r in new["requirements"] if r["outcome"] == "pass")
    broken["outcome"] = "fail"  # a regression: NEW fails where OLD passed
    new_json.write_text(json.dumps(new))
    old_bundle = make_tarball(tmp_path / "old.tar.gz", {"results.json": old_json.read_bytes()})
    new_bundle = make_tarball(tmp_path / "new.tar.gz", {"results.json": new_json.read_bytes()})
    from_files = cli("diff", str(old_json), str(new_json), "--json")
    from_bundles = cli("diff", str(old_bundle), str(new_bundle), "--json")
    mixed = cli("diff", str(old_json), str(new_bundle), "--json")
    assert from_bundles.returncode == from_files.returncode == mixed.returncode == 7
    expected = json.loads(from_files.stdout)
    assert expected["new_failures"] == [broken["id"]]
    got = json.loads(from_bundles.stdout)
    assert {**got, "source": ""} == {**expected, "source": ""}
    assert got["source"] == str(old_bundle)
    assert baseline.load(new_bundle) == json.loads(new_json.read_text())


def test_generic_rules_of_the_one_redactor():
    redactor = Redactor()
    assert is_secret_key("AWS_SECRET_ACCESS_KEY")  # ends like a key id, is the secret
    assert not is_secret_key("AWS_ACCESS_KEY_ID")
    clean, counts = redactor.counted(lambda: redactor.document(LOG))
    assert all(secret not in clean for secret in PLANTED.values())
    assert "Authorization: Bearer " + MASK in clean  # the scheme stays, the token goes
    assert counts == {"named-secret": 1, "scheme-credential": 1, "uri-password": 1,
                      "private-key": 1}
    assert redactor.counted(lambda: redactor.document(clean)) == (clean, {})  # idempotent


def test_results_name_their_bundle_and_the_schema_checks_the_name():
    data = synthetic_results(3).to_dict()
    assert data["bundle"] is None
    assert schema.problems({**data, "bundle": "bundle.tar.gz"}) == []
    assert schema.problems({**data, "bundle": "../elsewhere/bundle.tar.gz"})
    legacy = dict(data)
    del legacy["bundle"]  # results.json of a harness before --collect
    assert schema.problems(legacy) == []


def test_logs_are_tailed_to_their_bound_and_the_manifest_says_so(tmp_path):
    long_lines = tmp_path / "harness-controller.log"
    long_lines.write_bytes(b"".join(b"line %d\n" % i for i in range(TAIL_LINES + 500)))
    big = tmp_path / "harness-gw0.log"
    big.write_bytes(b"head\n" + b"y" * 99 + b"\n" * 1 + (b"z" * 1023 + b"\n") * 3000)
    short = tmp_path / "harness-gw1.log"
    short.write_bytes(b"one line\n")
    content, truncated, size = tail(long_lines)
    assert truncated
    assert content.splitlines()[0] == b"line 500"
    assert len(content.splitlines()) == TAIL_LINES
    content, truncated, size = tail(big)
    assert truncated
    assert len(content) <= TAIL_BYTES
    assert content.startswith(b"z")  # a whole line, not half of one
    assert size == big.stat().st_size
    packed = collect_bundle(CollectContext(tmp_path, {}, [long_lines, big, short]), Redactor(),
                            [HarnessLog()], destination=tmp_path / "out" / archive.BUNDLE)
    manifest = assert_manifest_matches(packed.path)
    entries = {f["path"]: f for f in manifest["files"]}
    assert entries["logs/harness-gw0.log"]["truncated"] is True
    assert entries["logs/harness-gw0.log"]["original_size"] == big.stat().st_size
    assert entries["logs/harness-controller.log"]["truncated"] is True
    assert entries["logs/harness-gw1.log"]["truncated"] is False


class Sleeper:
    name = "sleeper"

    def collect(self, context):
        time.sleep(0.3)
        yield archive.BundleFile("slow.txt", "a slow source", b"late but taken")


class Broken:
    name = "broken"

    def collect(self, context):
        raise OSError("the source is gone")


def test_collection_is_bounded_in_time_and_size_and_survives_a_broken_source(tmp_path):
    log = tmp_path / "harness-controller.log"
    log.write_bytes(b"x" * 5000 + b"\n")
    packed = collect_bundle(CollectContext(tmp_path, {}, [log]), Redactor(),
                            [Broken(), Sleeper(), HarnessLog()], seconds=0.1, max_bytes=100)
    manifest = assert_manifest_matches(packed.path)
    assert [f["path"] for f in manifest["files"]] == ["slow.txt", "redaction.json"]
    reasons = {o["path"]: o["reason"] for o in manifest["omitted"]}
    assert reasons["(broken)"].startswith("the collector failed: OSError")
    assert "time bound" in reasons["(harness-log)"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    packed = collect_bundle(CollectContext(tmp_path, {}, [log]), Redactor(), [HarnessLog()],
                            max_bytes=100, destination=tmp_path / "small.tar.gz")
    reasons = {o["path"]: o["reason"] for o in packed.manifest["omitted"]}
    assert "size bound" in reasons["logs/harness-controller.log"]
    assert os.stat(packed.path).st_mode & 0o777 == 0o644


def test_only_a_run_with_collect_writes_a_bundle(pytester):
    from tests.test_report_inner_run import MIXED_SUITE, inner_run

    result, report_dir = inner_run(pytester, MIXED_SUITE)
    assert result.ret == 1
    assert not (report_dir / archive.BUNDLE).exists()
    assert json.loads((report_dir / "results.json").read_text())["bundle"] is None
    result, report_dir = inner_run(pytester, MIXED_SUITE, "--collect")
    assert result.ret == 1  # the bundle changes no verdict
    manifest = assert_manifest_matches(report_dir / archive.BUNDLE)
    # A tracking-URI target: no stack logs; NET-004 here read no version; NET-004 and NET-005
    # are what the run found of the server's capabilities.
    assert {f["path"] for f in manifest["files"]} == {
        "results.json", "report.html", "junit.xml", "environment.json",
        "server/capabilities.json", "logs/harness-controller.log", "redaction.json"}
    assert {o["path"] for o in manifest["omitted"]} == {"server/version.json"}
    result.stdout.fnmatch_lines([f"bundle: {(report_dir / archive.BUNDLE).resolve()} *"])


def test_the_cluster_target_bundles_its_platform_summary(tmp_path):
    from mlflow_conformance.bundle.collect import ClusterPlatform

    platform = {"deployment": {"name": "ilum-mlflow", "env": {"DB_PASSWORD": "plantedDbPw1"}}}
    results = {"target": {"kind": "cluster", "platform": platform}}
    packed = collect_bundle(CollectContext(tmp_path, results), Redactor(), [ClusterPlatform()])
    members = unpacked(packed.path)
    assert json.loads(members["cluster/platform.json"])["deployment"]["name"] == "ilum-mlflow"
    assert b"plantedDbPw1" not in gzip.decompress(packed.path.read_bytes())
    remote = collect_bundle(CollectContext(tmp_path, {"target": {"kind": "remote"}}), Redactor(),
                            [ClusterPlatform()], destination=tmp_path / "remote.tar.gz")
    assert [f["path"] for f in remote.manifest["files"]] == ["redaction.json"]


class Awkward:
    name = "awkward"

    def collect(self, context):
        yield archive.BundleFile("logs/plantedPathSecret.log", "a file named by a secret", b"x")
        yield archive.BundleFile("manifest.json", "a collector claiming the manifest", b"{}")
        yield archive.BundleFile("a.txt", "first", b"first")
        yield archive.BundleFile("a.txt", "second", b"second")
        yield archive.BundleFile("../out.txt", "outside", b"x")


def test_paths_are_redacted_and_none_is_held_twice(tmp_path):
    packed = collect_bundle(CollectContext(tmp_path, {}), Redactor(["plantedPathSecret"]),
                            [Awkward()])
    manifest = assert_manifest_matches(packed.path)
    assert [f["path"] for f in manifest["files"]] == [f"logs/{MASK}.log", "a.txt",
                                                      "redaction.json"]
    assert unpacked(packed.path)["a.txt"] == b"first"
    assert {(o["path"], o["source"]) for o in manifest["omitted"]} == {
        ("manifest.json", "a collector claiming the manifest"), ("a.txt", "second"),
        ("../out.txt", "outside")}
    assert b"plantedPathSecret" not in gzip.decompress(packed.path.read_bytes())
    assert json.loads(unpacked(packed.path)["redaction.json"]) == [
        {"file": f"logs/{MASK}.log", "rule": "known-secret", "count": 1}]
