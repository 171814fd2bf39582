"""`pytest --cluster --dry-run`: the manifests a run would apply, written and validated,
nothing created — with an API server that answers (its own dry run accepts each) and with a
kubeconfig pointing nowhere (still written and schema-checked; the report says what it could
not reach)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.inner_session import ROOT
from tests.kube.apiserver import ApiServer
from tests.kube.platform import NAMESPACE


def dry_run(tmp_path, kubeconfig):
    report = tmp_path / "report"
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--cluster",
         "--dry-run", f"--namespace={NAMESPACE}", f"--report-dir={report}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    results = json.loads((report / "results.json").read_text())
    return done, results, report / "manifests"


def test_a_dry_run_against_a_reachable_cluster_is_accepted_and_creates_nothing(tmp_path):
    with ApiServer(tmp_path / "api") as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        api.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        api.seed({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "ilum-spark", "namespace": NAMESPACE}})
        done, results, folder = dry_run(tmp_path, kubeconfig)
        described = results["target"]["dry_run"]
        assert described["api_server"].startswith("v1.")
        kinds = sorted(m["kind"] for m in described["manifests"])
        # ilum: the code, 6 probe pods (connectivity, s3 and versions as driver and executor,
        # isolation) and their inputs; default (the isolation check's outsider): the same, 1
        assert kinds == [*["ConfigMap"] * 2, *["Pod"] * 7, *["Secret"] * 7]
        assert {m["schema"] for m in described["manifests"]} == {"valid"}
        assert {m["server_dry_run"] for m in described["manifests"]} == {"accepted"}
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            m["file"] for m in described["manifests"])
        assert [yaml.safe_load(p.read_text())["kind"] for p in sorted(folder.iterdir())]
        # Nothing was created: dryRun=All stores nothing, and the checks were skipped.
        for resource in ("pods", "secrets", "configmaps"):
            assert api.objects(resource, namespace=NAMESPACE) == [], resource
        assert {t["outcome"] for t in results["tests"]} == {"skip"}
        assert done.returncode == 0, done.stdout[-2000:]
        assert "dry run: 16 manifests" in done.stdout


def test_a_dry_run_the_server_refuses_exits_non_zero(tmp_path):
    # No ServiceAccount ilum-spark: the server's admission refuses the platform's pods, as a
    # real one does (the outsider's runs as `default`, which every namespace has).
    with ApiServer(tmp_path / "api") as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        api.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        done, results, _ = dry_run(tmp_path, kubeconfig)
    refused = [m for m in results["target"]["dry_run"]["manifests"]
               if m["server_dry_run"].startswith("refused")]
    assert [m["kind"] for m in refused] == ["Pod"] * 6
    assert "ilum-spark" in refused[0]["server_dry_run"]
    assert done.returncode == pytest.ExitCode.TESTS_FAILED
    assert results["gate"]["exit_code"] == 1


def test_a_dry_run_with_a_kubeconfig_pointing_nowhere_still_writes_the_manifests(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}]}))
    done, results, folder = dry_run(tmp_path, kubeconfig)
    described = results["target"]["dry_run"]
    assert described["api_server"].startswith("unreachable:")
    assert "127.0.0.1:9" in described["api_server"]
    assert {m["schema"] for m in described["manifests"]} == {"valid"}
    assert {m["server_dry_run"] for m in described["manifests"]} == {
        "not tried: the API server is unreachable"}
    assert len(list(folder.iterdir())) == 16
    assert done.returncode == 0, done.stdout[-2000:]
    assert "not-a-real-token" not in done.stdout + done.stderr + "".join(
        p.read_text() for p in folder.iterdir())
