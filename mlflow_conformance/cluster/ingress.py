"""The MLflow API from outside the cluster (P9.3): behind the platform's authenticating
ingress, and the tracking Service itself not reachable.

Observed from where the harness runs — outside the cluster, as a user's browser or laptop is:
without credentials the Ingress must refuse the API (401/403, or a redirect to a login page:
here `auth_required` is the passing evidence); with the credentials the user gives it must
answer the API's JSON. The Service's ClusterIP and any node or load-balancer port must not
accept a connection at all.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from ..findings import Finding, Outcome
from ..probes import connectivity
from .discovery import Discovered

API_PATH = "/api/2.0/mlflow/experiments/search?max_results=1"
REFUSALS = (401, 403)
REDIRECTS = (301, 302, 303, 307, 308)
CREDENTIALS = "MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN"


def route(found: Discovered, service: str) -> dict[str, Any] | None:
    """The Ingress rule that sends traffic to the tracking Service: name, host, path, TLS."""
    for ingress in found.ingresses:
        spec = ingress.get("spec") or {}
        tls_hosts = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
        for rule in spec.get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                backend = (path.get("backend") or {}).get("service") or {}
                if backend.get("name") == service:
                    host = rule.get("host")
                    return {"ingress": ingress["metadata"]["name"], "host": host,
                            "path": path.get("path") or "/",
                            "scheme": "https" if host in tls_hosts else "http"}
    return None


def base_url(where: Mapping[str, Any], given: str | None) -> str:
    """--ingress-url when given (the same ingress reached another way), else the rule's."""
    if given:
        return given.rstrip("/")
    return f"{where['scheme']}://{where['host']}{where['path'].rstrip('/')}"


def observe(url: str, host: str | None, timeout: float, username: str | None = None,
            password: str | None = None, token: str | None = None) -> dict[str, Any]:
    """One API request without credentials and, when the user gave some, one with them."""
    target: dict[str, Any] = {"tracking_uri": url, "timeout": timeout}
    if host and urlparse(url).hostname != host:
        target["host_header"] = host  # the rule matches on the Host the ingress sees
    observed = {"url": url, "host": host,
                "anonymous": connectivity.request(target, "GET", API_PATH)}
    if (username and password) or token:
        with_credentials = {**target, "username": username, "password": password,
                            "token": token}
        observed["with_credentials"] = connectivity.request(with_credentials, "GET", API_PATH)
    return observed


def _brief(answer: Mapping[str, Any]) -> dict[str, Any]:
    return {k: answer[k] for k in ("status", "headers", "error", "tls", "seconds")
            if k in answer}


def _json(answer: Mapping[str, Any]) -> bool:
    return answer.get("status") == 200 and "json" in str(
        (answer.get("headers") or {}).get("content-type", ""))


def judge_ingress(where: Mapping[str, Any] | None, observed: Mapping[str, Any] | None
                  ) -> Finding:
    if where is None or observed is None:
        return Finding(Outcome.FAIL, "ingress_missing", "no Ingress routes to the tracking "
                       "Service: the UI and API are not behind the platform's gateway", {},
                       "expose MLflow only through the platform's authenticated Ingress "
                       "(P9.3), or name its URL with --ingress-url")
    anonymous = observed["anonymous"]
    evidence: dict[str, Any] = {**where, "url": observed["url"],
                                "anonymous": _brief(anonymous)}
    failed = connectivity.transport_code(dict(anonymous))
    if failed:
        return Finding(Outcome.FAIL, failed, f"the Ingress at {observed['url']} did not answer "
                       f"({anonymous.get('error')})", evidence,
                       "check the ingress controller and that --ingress-url (or the rule's "
                       "host) reaches it from here")
    status = anonymous["status"]
    if _json(anonymous):
        return Finding(Outcome.FAIL, "ingress_unauthenticated", f"the Ingress at "
                       f"{observed['url']} answered the MLflow API without credentials",
                       evidence, "put the platform's authentication in front of the MLflow "
                       "Ingress (an auth-url / oauth2-proxy annotation): MLflow has none")
    if status not in REFUSALS + REDIRECTS:
        return Finding(Outcome.FAIL, "http_error", f"without credentials the Ingress answered "
                       f"{status}, neither a refusal nor a login redirect", evidence,
                       "check what the Ingress routes to")
    refusal = f"without credentials: {status}" + (
        f" → {anonymous['headers'].get('location')}" if status in REDIRECTS else "")
    evidence["refused_with"] = "auth_required"
    if "with_credentials" not in observed:
        return Finding(Outcome.PASS, "ok", f"{refusal} (refused as it must be); no credentials "
                       f"given, so the authenticated path was not tried ({CREDENTIALS})",
                       evidence)
    given = observed["with_credentials"]
    evidence["with_credentials"] = _brief(given)
    if _json(given):
        return Finding(Outcome.PASS, "ok", f"{refusal}; with the credentials given the API "
                       "answered JSON", evidence)
    failed = connectivity.transport_code(dict(given))
    return Finding(Outcome.FAIL, failed or "auth_required", f"{refusal}; with the credentials "
                   f"given it answered {given.get('status', given.get('error'))}, not the API",
                   evidence, f"check the credentials ({CREDENTIALS}) the platform's gateway "
                   "accepts")


def outside_addresses(found: Discovered) -> list[tuple[str, int]]:
    """Where the tracking Service could be reached from outside: its ClusterIP and ports (not
    routable outside a cluster), external IPs and load-balancer addresses."""
    spec = (found.service or {}).get("spec") or {}
    status = (found.service or {}).get("status") or {}
    ports = [p["port"] for p in spec.get("ports") or [] if p.get("port")]
    hosts = [spec.get("clusterIP"), *(spec.get("externalIPs") or []),
             *(i.get("ip") or i.get("hostname")
               for i in (status.get("loadBalancer") or {}).get("ingress") or [])]
    return [(h, p) for h in hosts if h and h != "None" for p in ports]


def judge_outside(found: Discovered, timeout: float) -> Finding:
    addresses = outside_addresses(found)
    if not addresses:
        return Finding(Outcome.ERROR, "service_missing", "no tracking Service address to try",
                       {}, "see PLT-002")
    reached = []
    for host, port in addresses:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                reached.append(f"{host}:{port}")
        except OSError:
            continue
    evidence = {"tried": [f"{h}:{p}" for h, p in addresses], "reached": reached}
    if reached:
        return Finding(Outcome.FAIL, "service_reachable_outside", f"the tracking Service "
                       f"accepted connections from outside the cluster at {', '.join(reached)}",
                       evidence, "MLflow has no authentication: keep the Service ClusterIP, "
                       "and block node and load-balancer access to it")
    return Finding(Outcome.PASS, "ok", f"the tracking Service refused or dropped connections "
                   f"from outside ({', '.join(evidence['tried'])})", evidence)
