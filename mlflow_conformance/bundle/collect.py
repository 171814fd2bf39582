"""Collectors: where a bundle's files come from, one small class per source.

A collector has a name and ``collect(context)`` yielding :class:`BundleFile` (or
:class:`Omitted`, to say what it could not take and why); add a class and list it in
:func:`default_collectors`. The cluster's collectors (Deployment, Service, Endpoints,
NetworkPolicies, Ingress, Events, pod logs) run earlier, while the run's API client is open,
through the same :func:`run_collectors` (bundle/cluster.py); :class:`ClusterFiles` brings
what they gave.

Bounds: each log is tailed (the last :data:`TAIL_BYTES`, at most :data:`TAIL_LINES` lines; the
manifest says when), the redacted bundle holds at most :data:`MAX_BUNDLE_BYTES`, and
collectors that would start after :data:`COLLECT_SECONDS` are skipped, named in the manifest.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..redact import Redactor
from ..stack.lifecycle import StackState
from .archive import BUNDLE, RESULTS, BundleFile, Omitted, Packed, pack

TAIL_BYTES = 2 * 1024 * 1024
TAIL_LINES = 20_000
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
COLLECT_SECONDS = 30.0


@dataclass
class CollectContext:
    """What a run hands the collectors: its report folder and redacted results, and where
    its logs are."""

    report_dir: Path
    results: dict[str, Any]  # results.json as written (redacted)
    harness_logs: Sequence[Path] = ()
    stack: StackState | None = None  # the embedded stack, when that was the target
    report_files: Sequence[str] = (RESULTS, "report.html", "junit.xml")
    # Under --cluster: the folders where processes with an API client kept what they read.
    cluster_dirs: Sequence[Path] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    # Secrets a collector met in what it gives (a literal value under a secret-looking
    # name): the redactor learns them before anything is packed, and masks them everywhere.
    secrets: list[str] = field(default_factory=list)


Collected = BundleFile | Omitted
Context = TypeVar("Context", contravariant=True)


class Collector(Protocol[Context]):
    name: str

    def collect(self, context: Context) -> Iterable[Collected]: ...


def tail(path: Path, max_bytes: int = TAIL_BYTES, max_lines: int = TAIL_LINES
         ) -> tuple[bytes, bool, int]:
    """The end of a file: (bytes, truncated, the file's size). Reads at most ``max_bytes``."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - max_bytes))
        content = handle.read(max_bytes)
    truncated = size > len(content)
    if truncated and b"\n" in content:
        content = content[content.index(b"\n") + 1:]  # no half line at the top
    lines = content.splitlines(keepends=True)
    if len(lines) > max_lines:
        content, truncated = b"".join(lines[-max_lines:]), True
    return content, truncated, size


def tailed(path: Path, inside: str, source: str) -> Collected:
    try:
        content, truncated, size = tail(path)
    except OSError as exc:
        return Omitted(inside, source, f"unreadable: {exc.strerror or exc}")
    return BundleFile(inside, source, content, truncated, size if truncated else None)


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=1).encode()


class ReportFiles:
    name = "reports"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        for name in context.report_files:
            path = context.report_dir / name
            if path.is_file():
                yield BundleFile(name, f"report folder: {name}", path.read_bytes())
            else:
                yield Omitted(name, f"report folder: {name}", "not written by the run")


class Environment:
    name = "environment"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        yield BundleFile("environment.json", "results.json: environment (the version matrix)",
                         _json(context.results.get("environment", {})))


SERVER_VERSION_CHECK = "NET-004"  # GET /version answers an MLflow version


# What the run's checks show the server can do: capability → (the requirements whose pass
# shows it, the codes that show it missing). Any other failure (a timeout, a pod that did not
# start) says nothing about the capability.
CAPABILITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "version_endpoint": (("NET-004",), ("not_mlflow_version",)),
    "rest_api_json": (("NET-005",), ("not_json",)),
    "logged_models_api": (("CMP-003",), ("logged_models_missing",)),
    "tracking": (("TRK-001", "TRK-002"), ()),
    "model_registry": (("REG-001", "REG-002"), ()),
    "model_stages": (("REG-006",), ()),
    "authentication_at_ingress": (("PLT-004",), ("ingress_unauthenticated",)),
}
DECIDED = ("pass", "warn", "fail")


def capabilities(results: dict[str, Any]) -> dict[str, Any]:
    """Per capability a check of the run looked at: supported (every check that reached a
    verdict passed), not (a check found it missing) or None (no verdict says), with the
    checks' outcomes and codes. From results.json alone: no request of its own."""
    first: dict[str, dict[str, Any]] = {}
    for test in results.get("tests", []):
        for requirement in test.get("requirements", ()):
            first.setdefault(requirement, test)
    found: dict[str, Any] = {}
    for capability, (requirements, missing) in CAPABILITIES.items():
        checks = {r: {"outcome": first[r]["outcome"], "code": first[r].get("code")}
                  for r in requirements if r in first}
        if not checks:
            continue
        decided = [c for c in checks.values() if c["outcome"] in DECIDED]
        supported: bool | None = None
        if any(c["outcome"] == "fail" and c["code"] in missing for c in decided):
            supported = False
        elif decided and all(c["outcome"] != "fail" for c in decided):
            supported = True
        found[capability] = {"supported": supported, "checks": checks}
    return found


class ServerVersion:
    """The tracking server's /version as the run's NET-004 check read it, and the
    capabilities the run's checks found (:func:`capabilities`)."""

    name = "server"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        seen = [t for t in context.results.get("tests", [])
                if SERVER_VERSION_CHECK in t.get("requirements", ())
                and (t.get("evidence") or {}).get("version")]
        if seen:
            test = seen[0]
            yield BundleFile("server/version.json", f"results.json: {test['nodeid']} evidence",
                             _json({"version": test["evidence"]["version"],
                                    "check": SERVER_VERSION_CHECK, "outcome": test["outcome"]}))
        else:
            yield Omitted("server/version.json", f"results.json: {SERVER_VERSION_CHECK}",
                          "the run did not read the server's /version")
        found = capabilities(context.results)
        if found:
            yield BundleFile("server/capabilities.json", "results.json: the verdicts of the "
                             "checks that show what the server can do", _json(found))
        else:
            yield Omitted("server/capabilities.json", "results.json",
                          "no check of the run shows what the server can do")


class HarnessLog:
    """The ``mlflow_conformance`` logger of every process of the run (controller, workers)."""

    name = "harness-log"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        for path in context.harness_logs:
            yield tailed(path, f"logs/{path.name}", "logger mlflow_conformance")


class StackLogs:
    """The embedded stack's servers' logs, as its process records name them."""

    name = "stack-logs"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        if context.stack is None:
            return
        for record in context.stack.processes:
            yield tailed(Path(record.log), f"stack/{record.name}.log",
                         f"embedded stack: {record.name} log")


class ClusterPlatform:
    """The platform's objects as the run's discovery summarised them (secret-free)."""

    name = "cluster-platform"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        target = context.results.get("target", {})
        if target.get("kind") == "cluster" and "platform" in target:
            yield BundleFile("cluster/platform.json", "results.json: target.platform",
                             _json(target["platform"]))


def default_collectors() -> list[Collector[CollectContext]]:
    from .cluster import ClusterFiles  # it builds on this module

    return [ReportFiles(), Environment(), ServerVersion(), HarnessLog(), StackLogs(),
            ClusterPlatform(), ClusterFiles()]


def run_collectors(collectors: Iterable[Collector[Context]], context: Context,
                   seconds: float) -> tuple[list[BundleFile], list[Omitted]]:
    """Each collector in turn within the time bound; one that fails or starts too late is
    named in what was left out, the others still give theirs."""
    deadline = time.monotonic() + seconds
    files: list[BundleFile] = []
    omitted: list[Omitted] = []
    for collector in collectors:
        if time.monotonic() > deadline:
            omitted.append(Omitted(f"({collector.name})", collector.name,
                                   f"the collection's time bound ({seconds:g} s) was reached"))
            continue
        try:
            for item in collector.collect(context):
                if isinstance(item, BundleFile):
                    files.append(item)
                else:
                    omitted.append(item)
        except Exception as exc:  # noqa: BLE001 - one broken source must not cost the bundle
            omitted.append(Omitted(f"({collector.name})", collector.name,
                                   f"the collector failed: {type(exc).__name__}: {exc}"))
    return files, omitted


def collect_bundle(context: CollectContext, redactor: Redactor,
                   collectors: Sequence[Collector[CollectContext]] | None = None,
                   seconds: float = COLLECT_SECONDS, max_bytes: int = MAX_BUNDLE_BYTES,
                   destination: Path | None = None) -> Packed:
    """Run the collectors within the time bound, then redact and pack what they gave."""
    files, omitted = run_collectors(
        default_collectors() if collectors is None else collectors, context, seconds)
    redactor.add(context.secrets)
    notes = {"run_id": context.results.get("run_id"),
             "verdict": context.results.get("verdict"),
             "bounds": {"tail_bytes": TAIL_BYTES, "tail_lines": TAIL_LINES,
                        "max_bytes": max_bytes, "seconds": seconds}}
    return pack(destination or context.report_dir / BUNDLE, files, omitted, redactor,
                max_bytes, notes)
