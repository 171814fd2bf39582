"""The bundle's cluster files: the platform's objects, recent Events and the pods' logs.

They are read through the run's own API client while it is still open — the kube fixture's
teardown calls :func:`snapshot` (fixtures/bundle.py), after the probe pods are gone, so their
Events are in — and kept, unredacted and readable by this user only, in the run's private
folder as a snapshot; at the end :class:`ClusterFiles` hands them to the packing, which
redacts them like every file. The probe pods' logs are not read again: the harness keeps what
it read for each probe's result (:func:`keep_probe_log`).

Secrets are never read: the objects read are the Deployment (values from Secrets stay
``secretKeyRef`` references), the Service, its Endpoints, NetworkPolicies, Ingresses, Events,
and the tracking server's pods' logs. A literal value under a secret-looking variable name in
a pod template is handed to the redactor (:func:`literal_secrets`), which then masks it
wherever it appears. Bounds: each request a few seconds (:data:`REQUEST_SECONDS`), all of them
the collection's time bound, logs tailed server-side (tailLines, limitBytes), Events the
newest :data:`EVENTS_KEPT` per namespace. A read the API refuses (401/403: the permission is
named, as ``rbac`` prints it) or an object that is not there (404) is an Omitted entry.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cluster import rbac
from ..cluster.kube import Kube, read_log, status_of
from ..cluster.probe_pods import LOG_TAIL_LINES
from ..redact import is_secret_key
from ..scratch import write_private
from .archive import BundleFile, Omitted
from .collect import TAIL_BYTES, TAIL_LINES, CollectContext, Collected, Collector, run_collectors

REQUEST_SECONDS = 5.0  # one read; a dead API server costs the bundle seconds, not minutes
EVENTS_PAGE = 500
EVENTS_PAGES = 4  # at most 2,000 Events listed per namespace
EVENTS_KEPT = 500  # of which the newest are kept
SERVER_PODS = 5  # the tracking server's pods whose logs are read (replicas beyond: left out)
SNAPSHOT = "snapshot.json"
PROBE_LOGS = "probe-logs"
SERVER_LOG_GLOB = "logs/tracking-server-*.log"


class Unreadable(Exception):
    """A read that gave nothing to bundle; the message is the manifest's reason."""


@dataclass
class ClusterScope:
    """What the cluster collectors read and through what: the run's API client, its names."""

    kube: Kube
    platform: str
    namespaces: tuple[str, ...]  # the platform's, the job and the outsider namespaces
    deployment: str
    service: str
    deadline: float  # time.monotonic() past which nothing more is asked
    seconds: float  # the budget the deadline came from, for the reason

    def permission(self, platform: rbac.Permission, jobs: rbac.Permission | None,
                   namespace: str) -> rbac.Permission:
        return platform if namespace == self.platform or jobs is None else jobs

    def ask(self, permission: rbac.Permission, namespace: str, what: str,
            call: Callable[[float], Any]) -> Any:
        """``call(seconds)``, one request within what is left of the budget (at most
        REQUEST_SECONDS); Unreadable with the reason when the API refuses or finds nothing.
        Transport errors propagate: the collector fails, named in the manifest."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Unreadable(f"{what}: the collection's time bound ({self.seconds:g} s) was "
                             "reached")
        try:
            return call(min(REQUEST_SECONDS, left))
        except Exception as exc:
            raise Unreadable(refusal(exc, permission, namespace, what)) from exc

    def read(self, permission: rbac.Permission, namespace: str, what: str,
             method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One typed-client call, its answer as JSON-ready data (see :meth:`ask`)."""
        answer = self.ask(permission, namespace, what, lambda seconds: method(
            *args, **kwargs, **self.kube.bound_within(seconds)))
        return without_managed_fields(self.kube.api.sanitize_for_serialization(answer))


def refusal(exc: BaseException, permission: rbac.Permission, namespace: str, what: str) -> str:
    """The manifest's reason for a read that failed with an API status; anything else (no
    answer at all) is re-raised."""
    status = status_of(exc)
    if status == 403:
        return (f"{what}: permission missing: {permission.describe(namespace)} (HTTP 403); "
                "apply the Role from `python -m mlflow_conformance rbac`")
    if status == 401:
        return f"{what}: the API refused the run's credentials (HTTP 401)"
    if status == 404:
        return f"{what}: not found in {namespace} (HTTP 404)"
    if status is not None:
        return f"{what}: the API answered HTTP {status}: {api_message(exc)}"
    raise exc


def api_message(exc: BaseException) -> str:
    """The Status message of an API error (its body), else its reason."""
    try:
        return str(json.loads(getattr(exc, "body", "") or "{}").get("message", ""))[:300]
    except (ValueError, AttributeError):
        return str(getattr(exc, "reason", ""))[:300]


def without_managed_fields(data: Any) -> Any:
    """The API's data minus metadata.managedFields (server bookkeeping, large, no
    diagnosis in it), at every level (a list's items too)."""
    if isinstance(data, dict):
        return {k: without_managed_fields(v) for k, v in data.items() if k != "managedFields"}
    if isinstance(data, list):
        return [without_managed_fields(v) for v in data]
    return data


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=1).encode()


def _api(kube: Kube, group: str) -> Any:
    return {"apps": kube.apps, "networking.k8s.io": kube.networking}.get(group, kube.core)


# -- the collectors -----------------------------------------------------------------------------

@dataclass
class PlatformObject:
    """One read in the platform's namespace (an object by name, or a list's items), as the
    API returns it."""

    name: str
    path: str
    permission: rbac.Permission
    method: str  # of the kubernetes client's typed API for the permission's group
    object_name: Callable[[ClusterScope], str] | None = None  # None: a list

    def collect(self, scope: ClusterScope) -> Iterator[Collected]:
        call = getattr(_api(scope.kube, self.permission.group), self.method)
        args = ((self.object_name(scope),) if self.object_name else ()) + (scope.platform,)
        what = (f"{self.permission.resource} {scope.platform}/{args[0]}" if self.object_name
                else f"{self.permission.resource} of {scope.platform}")
        try:
            data = scope.read(self.permission, scope.platform, what, call, *args)
        except Unreadable as exc:
            yield Omitted(self.path, f"API: {what}", str(exc))
            return
        if self.object_name is None:
            data = data.get("items") or []
        yield BundleFile(self.path, f"API: {what}", _json(data))


@dataclass
class PerNamespace:
    """One list in every namespace of the run: ``{namespace: items}``; a namespace the API
    refused is named in an Omitted entry, the others still bundled."""

    name: str
    path: str
    permission: rbac.Permission  # in the platform's namespace
    jobs_permission: rbac.Permission  # in the job and outsider namespaces
    method: str
    keep: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = list

    def collect(self, scope: ClusterScope) -> Iterator[Collected]:
        call = getattr(_api(scope.kube, self.permission.group), self.method)
        found: dict[str, list[dict[str, Any]]] = {}
        truncated = False
        for namespace in scope.namespaces:
            permission = scope.permission(self.permission, self.jobs_permission, namespace)
            what = f"{self.permission.resource} of {namespace}"
            try:
                items, more = list_all(scope, permission, namespace, what, call)
            except Unreadable as exc:
                yield Omitted(self.path, f"API: {what}", str(exc))
                continue
            kept = self.keep(items)
            found[namespace] = kept
            truncated = truncated or more or len(kept) < len(items)
        if found:
            yield BundleFile(self.path, f"API: {self.permission.resource} of "
                             f"{', '.join(found)}", _json(found), truncated)


def list_all(scope: ClusterScope, permission: rbac.Permission, namespace: str, what: str,
             call: Callable[..., Any]) -> tuple[list[dict[str, Any]], bool]:
    """A list's items, page by page, at most EVENTS_PAGES pages; and whether more were left."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(EVENTS_PAGES):
        page = scope.read(permission, namespace, what, call, namespace, limit=EVENTS_PAGE,
                          **({"_continue": token} if token else {}))
        items += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items, False
    return items, True


def event_time(event: dict[str, Any]) -> str:
    """When an Event last happened (RFC 3339 strings sort as times)."""
    return str(event.get("lastTimestamp") or event.get("eventTime")
               or (event.get("metadata") or {}).get("creationTimestamp") or "")


def newest_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest EVENTS_KEPT, oldest first (as `kubectl get events` reads)."""
    return sorted(events, key=event_time)[-EVENTS_KEPT:]


def label_selector(deployment: dict[str, Any]) -> str:
    """The Deployment's pod selector as a label selector string ("" when it has none)."""
    selector = (deployment.get("spec") or {}).get("selector") or {}
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = ",".join(expression.get("values") or [])
        terms.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                      "Exists": key, "DoesNotExist": f"!{key}"}[operator])
    return ",".join(terms)


def tailed_log(fetch: Callable[[int], bytes]) -> tuple[bytes, bool]:
    """A log's end within TAIL_LINES lines and TAIL_BYTES bytes, and whether it was cut.

    ``fetch(lines)`` asks the kubelet for the last ``lines`` lines, of which it answers at
    most the first TAIL_BYTES: when the last TAIL_LINES lines are longer than that, the answer
    is their beginning, not the log's end. Then it is asked once more for as many lines as
    the first answer held whole — the end of the log, within the bound (lines longer than
    the earlier ones may still cut it: said as truncated)."""
    data = fetch(TAIL_LINES)
    if len(data) < TAIL_BYTES:
        return data, data.count(b"\n") >= TAIL_LINES
    whole = data.count(b"\n")
    return (fetch(whole) if whole else data), True


class TrackingServerLogs:
    """The logs of the pods the MLflow Deployment selects (its ReplicaSets' pods)."""

    name = "tracking-server-logs"

    def collect(self, scope: ClusterScope) -> Iterator[Collected]:
        source = f"API: pods of deployment {scope.deployment}"
        try:
            deployment = scope.read(rbac.DEPLOYMENT, scope.platform,
                                    f"deployment {scope.deployment}",
                                    scope.kube.apps.read_namespaced_deployment,
                                    scope.deployment, scope.platform)
            selector = label_selector(deployment)
            if not selector:
                raise Unreadable(f"deployment {scope.deployment} selects no pods")
            pods = scope.read(rbac.SERVER_PODS, scope.platform, f"pods of {scope.platform}",
                              scope.kube.core.list_namespaced_pod, scope.platform,
                              label_selector=selector, limit=SERVER_PODS)
        except Unreadable as exc:
            yield Omitted(SERVER_LOG_GLOB, source, str(exc))
            return
        items = pods.get("items") or []
        if not items:
            yield Omitted(SERVER_LOG_GLOB, source,
                          f"no pod in {scope.platform} matches {selector}")
        if (pods.get("metadata") or {}).get("continue"):
            yield Omitted(SERVER_LOG_GLOB, source, f"more pods match {selector}: the logs of "
                          f"the first {SERVER_PODS} are bundled")
        for pod in items:
            yield from self._pod(scope, pod)

    def _pod(self, scope: ClusterScope, pod: dict[str, Any]) -> Iterator[Collected]:
        name = pod["metadata"]["name"]
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        for container in containers:
            path = (f"logs/tracking-server-{name}.log" if len(containers) == 1
                    else f"logs/tracking-server-{name}-{container}.log")
            what = f"log of pod {scope.platform}/{name} container {container}"

            def fetch(lines: int, container: str = container, what: str = what) -> bytes:
                return bytes(scope.ask(rbac.SERVER_LOGS, scope.platform, what, lambda seconds: (
                    read_log(scope.kube, scope.platform, name, container, tail_lines=lines,
                             limit_bytes=TAIL_BYTES, seconds=seconds))))

            try:
                content, truncated = tailed_log(fetch)
            except Unreadable as exc:
                yield Omitted(path, f"API: {what}", str(exc))
                continue
            yield BundleFile(path, f"API: {what} (pods/log, the last {TAIL_LINES} lines, at "
                             f"most {TAIL_BYTES} bytes)", content, truncated)


def cluster_collectors() -> list[Collector[ClusterScope]]:
    return [
        PlatformObject("deployment", "cluster/deployment.json", rbac.DEPLOYMENT,
                       "read_namespaced_deployment", lambda scope: scope.deployment),
        PlatformObject("service", "cluster/service.json", rbac.SERVICE,
                       "read_namespaced_service", lambda scope: scope.service),
        PlatformObject("endpoints", "cluster/endpoints.json", rbac.ENDPOINTS,
                       "read_namespaced_endpoints", lambda scope: scope.service),
        PlatformObject("ingress", "cluster/ingress.json", rbac.INGRESSES,
                       "list_namespaced_ingress"),
        PerNamespace("networkpolicies", "cluster/networkpolicies.json", rbac.POLICIES,
                     rbac.JOB_POLICIES, "list_namespaced_network_policy"),
        PerNamespace("events", "cluster/events.json", rbac.EVENTS, rbac.JOB_EVENTS,
                     "list_namespaced_event", newest_events),
        TrackingServerLogs(),
    ]


# -- the snapshot: from the process that holds the client to the one that packs -----------

def snapshot(scope: ClusterScope, folder: Path,
             collectors: Sequence[Collector[ClusterScope]] | None = None) -> Path:
    """Run the cluster collectors now and keep what they gave in ``folder``."""
    files, omitted = run_collectors(
        cluster_collectors() if collectors is None else collectors, scope,
        scope.deadline - time.monotonic())
    data = {"files": [{"path": f.path, "source": f.source, "truncated": f.truncated,
                       "original_size": f.original_size,
                       "content": base64.b64encode(f.content).decode()} for f in files],
            "omitted": [{"path": o.path, "source": o.source, "reason": o.reason}
                        for o in omitted]}
    path = folder / SNAPSHOT
    write_private(path, json.dumps(data).encode())
    return path


def read_snapshot(path: Path) -> list[Collected]:
    data = json.loads(path.read_text(encoding="utf-8"))
    found: list[Collected] = [BundleFile(f["path"], f["source"], base64.b64decode(f["content"]),
                                         f["truncated"], f["original_size"])
                              for f in data["files"]]
    return found + [Omitted(o["path"], o["source"], o["reason"]) for o in data["omitted"]]


def keep_probe_log(folder: Path, namespace: str, pod: str, text: str) -> None:
    """What the harness read from a probe pod's log, kept for the bundle (the pod is deleted
    right after; it is not read twice)."""
    write_private(folder / PROBE_LOGS / f"{namespace}_{pod}.log", text.encode())


def probe_logs(folder: Path) -> Iterator[BundleFile]:
    for path in sorted((folder / PROBE_LOGS).glob("*.log")):
        namespace, _, pod = path.stem.partition("_")  # DNS labels hold no underscore
        content = path.read_bytes()
        yield BundleFile(f"logs/probe-{pod}.log", f"probe pod {namespace}/{pod}: its log as "
                         f"the harness read it for the probe's result (the last "
                         f"{LOG_TAIL_LINES} lines)", content,
                         content.count(b"\n") >= LOG_TAIL_LINES)


def literal_secrets(data: Any) -> list[str]:
    """Values given literally (``value:``, not ``valueFrom``) to variables with
    secret-looking names, anywhere in an object (a pod template's ``env``)."""
    found: list[str] = []
    if isinstance(data, dict):
        if isinstance(data.get("name"), str) and isinstance(data.get("value"), str) \
                and is_secret_key(data["name"]):
            found.append(data["value"])
        for value in data.values():
            found += literal_secrets(value)
    elif isinstance(data, list):
        for value in data:
            found += literal_secrets(value)
    return found


class ClusterFiles:
    """The cluster's files of the run (under --cluster): the newest snapshot of the processes
    that held an API client, and every probe pod's log any of them kept."""

    name = "cluster"

    def collect(self, context: CollectContext) -> Iterator[Collected]:
        if context.results.get("target", {}).get("kind") != "cluster":
            return
        snapshots = sorted((folder / SNAPSHOT for folder in context.cluster_dirs
                            if (folder / SNAPSHOT).is_file()), key=lambda p: p.stat().st_mtime)
        if snapshots:
            for item in read_snapshot(snapshots[-1]):
                if isinstance(item, BundleFile) and item.path.endswith(".json"):
                    context.secrets += literal_secrets(json.loads(item.content))
                yield item
        else:
            yield Omitted("cluster/", "the run's API client",
                          "no snapshot: the run opened no API client (no check read the "
                          "cluster), or reading it failed (see logs/harness-*.log)")
        for folder in context.cluster_dirs:
            yield from probe_logs(folder)


def every_namespace(platform: str, others: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((platform, *others)))
