"""The version skew policy, as pure functions over collected evidence: server facts
(server_facts.collect) and driver/executor environments (environment.local_versions)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..findings import Finding, Outcome, passed

VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[.+-]?[0-9A-Za-z.+-]*)?$")
EVIDENCE_PACKAGES = ("mlflow", "boto3", "botocore", "psycopg2-binary", "pandas", "pyarrow")
PIN = "pin job images to the server's MLflow line, or upgrade the server first (then run " \
      "mlflow db upgrade)"


def parse(text: str | None) -> tuple[int, int, int] | None:
    found = VERSION.match((text or "").strip())
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def _unreachable(answer: Mapping[str, Any], what: str) -> Finding | None:
    if "error" in answer:
        return Finding(Outcome.FAIL, answer["error"], f"{what}: {answer['detail']}",
                       dict(answer), "check that the tracking server is up and reachable")
    return None


def server_version(facts: Mapping[str, Any]) -> tuple[tuple[int, int, int] | None, Finding | None]:
    """The server's version, or the finding that says why there is none."""
    answer = facts["version"]
    problem = _unreachable(answer, "GET /version")
    if problem:
        return None, problem
    if answer["status"] != 200:
        return None, Finding(Outcome.FAIL, "http_error", f"GET /version answered "
                             f"{answer['status']}", dict(answer), "let /version through to MLflow")
    version = parse(answer["body_start"])
    if version is None:
        return None, Finding(Outcome.FAIL, "not_mlflow_version", f"GET /version answered "
                             f"{answer['body_start'][:80]!r}, not an MLflow version", dict(answer),
                             "point the tracking URI at MLflow itself (2.1 or later)")
    return version, None


def judge_client(client: str | None, facts: Mapping[str, Any], where: str) -> Finding:
    server, problem = server_version(facts)
    evidence = {"where": where, "client_mlflow": client,
                "server_version": facts["version"].get("body_start")}
    if problem:
        return Finding(problem.outcome, problem.code, f"{where}: {problem.message}",
                       {**evidence, **problem.evidence}, problem.remedy)
    assert server is not None
    ours = parse(client)
    if ours is None:
        return Finding(Outcome.FAIL, "package_missing", f"{where}: mlflow is not installed "
                       f"(found {client!r})", evidence, "install mlflow in the job image")
    shown = f"{where} mlflow {client} vs server {'.'.join(map(str, server))}"
    if ours[0] != server[0]:
        return Finding(Outcome.FAIL, "version_skew", f"{shown}: major versions differ",
                       evidence, PIN)
    if ours[1] > server[1]:
        return Finding(Outcome.WARN, "client_newer_minor", f"{shown}: the client is newer in "
                       "minor version", evidence, PIN)
    return passed(shown, **evidence)


def judge_clients(clients: Sequence[tuple[str, str | None]], facts: Mapping[str, Any]) -> Finding:
    """The worst of judge_client over several places (e.g. distinct executor environments)."""
    findings = [judge_client(version, facts, where) for where, version in clients]
    worst = max(findings, key=lambda f: f.outcome.rank)
    return Finding(worst.outcome, worst.code, worst.message,
                   {**worst.evidence, "all": [f.message for f in findings]}, worst.remedy)


def judge_logged_models(client: str | None, facts: Mapping[str, Any]) -> Finding:
    ours = parse(client)
    answer = facts["logged_models_search"]
    evidence = {"client_mlflow": client, "logged_models_search": dict(answer)}
    if ours is not None and ours[0] < 3:
        return passed(f"mlflow {client} clients do not call the logged-models API", **evidence)
    problem = _unreachable(answer, "POST /api/2.0/mlflow/logged-models/search")
    if problem:
        return problem
    if answer["status"] == 200:
        return passed("the server answers the logged-models API", **evidence)
    if answer["status"] == 404:
        return Finding(Outcome.FAIL, "logged_models_missing", f"POST logged-models/search "
                       f"answered 404: the server has no logged-models API, which mlflow "
                       f"{client} needs to log models and download runs:/ artifacts", evidence,
                       "upgrade the server to MLflow 3.x, or pin clients to 2.22.x")
    return Finding(Outcome.FAIL, "http_error", f"POST logged-models/search answered "
                   f"{answer['status']}: {answer['body_start'][:120]}", evidence,
                   "check the server's log for this request")
