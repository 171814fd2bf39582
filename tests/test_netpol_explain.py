"""`netpol explain` on manifest files: the verdict, the deciding rule, and exit codes
(0 allowed, 1 denied, 4 bad input with one line and no traceback)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mlflow_conformance.netpol import command
from mlflow_conformance.netpol.explain import explain

# `helm template`-like output: several documents, no namespace on most (--namespace ilum).
MANIFESTS = """\
apiVersion: v1
kind: Namespace
metadata: {name: spark, labels: {ilum.cloud/platform: "true"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mlflow}
spec:
  template:
    metadata: {labels: {app: mlflow}}
    spec:
      containers:
      - name: server
        ports: [{name: http, containerPort: 5000}]
---
apiVersion: v1
kind: Service
metadata: {name: mlflow-tracking}
spec:
  selector: {app: mlflow}
  ports: [{port: 80, targetPort: http}]
---
# a comment-only document between two separators
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: mlflow-platform-only}
spec:
  podSelector: {matchLabels: {app: mlflow}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ilum.cloud/platform: "true"}}
      podSelector: {matchLabels: {spark-role: driver}}
    ports: [{port: http}]
"""
# The same policy from `kubectl get -o yaml`: a List with items.
AS_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: deny-all, namespace: ilum}
  spec: {podSelector: {}}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "chart.yaml"
    path.write_text(MANIFESTS, encoding="utf-8")
    return path


def run_explain(*words: str) -> int:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers(dest="command"))
    return command.run(parser.parse_args(["netpol", "explain", *words]))


def test_allowed_prints_the_deciding_rule(manifests: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    code = run_explain("--from", "spark/spark-role=driver", "--to", "ilum/app=mlflow",
                       "--port", "5000", "--namespace", "ilum", str(manifests))
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "ALLOWED: spark/spark-role=driver -> ilum/app=mlflow port 5000/TCP",
        "  deciding rule: ilum/mlflow-platform-only ingress rule 0",
        "  ingress: allowed by ilum/mlflow-platform-only ingress rule 0",
        "  egress: no policy selects the source spark/spark-role=driver: not isolated"]


def test_service_resolves_the_named_target_port(manifests: Path) -> None:
    verdict, lines = explain("spark/spark-role=driver", "ilum/service:mlflow-tracking", 80,
                             [manifests], default_namespace="ilum")
    assert verdict.allowed
    assert [(b.destination, b.port) for b in verdict.backends] == [("ilum/deployment/mlflow",
                                                                     5000)]
    assert lines[1] == "  deciding rule: ilum/mlflow-platform-only ingress rule 0"


def test_denied_exits_1_and_names_the_misses(manifests: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # Right pod labels, wrong namespace: the AND of the peer fails on the namespace.
    code = run_explain("--from", "outsider/spark-role=driver", "--to", "ilum/app=mlflow",
                       "--port", "5000", "--namespace", "ilum", str(manifests))
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        "DENIED: outsider/spark-role=driver -> ilum/app=mlflow port 5000/TCP",
        "  ingress: policy ilum/mlflow-platform-only selects the destination ilum/app=mlflow "
        "for ingress and none of their rules admits this peer/port",
        "    ilum/mlflow-platform-only ingress rule 0: peer not admitted",
        "  egress: no policy selects the source outsider/spark-role=driver: not isolated"]


def test_list_objects_are_read(manifests: Path, tmp_path: Path) -> None:
    listed = tmp_path / "policies.yaml"
    listed.write_text(AS_LIST, encoding="utf-8")
    verdict, _ = explain("ilum/app=web", "ilum/app=mlflow", 5000, [manifests, listed],
                         default_namespace="ilum")
    assert verdict.ingress is not None
    assert verdict.ingress.selecting == ("ilum/mlflow-platform-only", "ilum/deny-all")
    assert not verdict.allowed


@pytest.mark.parametrize(("from_spec", "to_spec", "port", "message"), [
    ("Spark/x=y", "ilum/app=mlflow", "5000", "error: 'Spark/x=y': 'Spark' is not a namespace"),
    ("spark/novalue", "ilum/app=mlflow", "5000", "error: 'spark/novalue': 'novalue' is not a "
     "label key=value"),
    ("spark/a=1", "ilum/service:nope", "80", "error: 'ilum/service:nope': no Service ilum/nope "
     "in the files"),
    ("spark/a=1", "ilum/app=mlflow", "70000", "error: port 70000 is not in 1-65535"),
])
def test_bad_spec_exits_4_with_one_line(manifests: Path, capsys: pytest.CaptureFixture[str],
                                        from_spec: str, to_spec: str, port: str,
                                        message: str) -> None:
    code = run_explain("--from", from_spec, "--to", to_spec, "--port", port, "--namespace",
                       "ilum", str(manifests))
    captured = capsys.readouterr()
    assert code == 4
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(message)


@pytest.mark.parametrize(("content", "message"), [
    ("kind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, policyTypes: [Up]}\n",
     "error: NetworkPolicy default/x spec.policyTypes: 'Up' is not Ingress or Egress"),
    ("kind: Service\n  bad: [indent\n", "error: {path} line 2: not YAML or JSON"),
])
def test_bad_file_exits_4_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    assert run_explain("--from", "a/x=1", "--to", "b", "--port", "1", str(path)) == 4
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith(message.format(path=path))
    assert "Traceback" not in err


def test_missing_file_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.yaml"
    assert run_explain("--from", "a", "--to", "b", "--port", "1", str(missing)) == 4
    assert capsys.readouterr().err == f"error: cannot read {missing}: No such file or directory\n"
