"""Judges of the platform's own objects (P1.1, P3.2): the MLflow Deployment, its Service and
the Secrets it is wired to. Pure functions over what discovery read."""

from __future__ import annotations

from typing import Any

from ..findings import Finding, Outcome
from .discovery import (
    Discovered,
    job_environment,
    public,
    referenced_secrets,
    server_container,
    server_settings,
)

TRACKING_PORT = 5000
JOB_KEYS = ("MLFLOW_TRACKING_URI", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def _denied(found: Discovered, resource: str, what: str) -> Finding | None:
    if resource in found.denied:
        return Finding(Outcome.ERROR, "permission_missing", f"could not read the {what}: "
                       f"{found.denied[resource]}", {"resource": resource},
                       "grant the harness's Role (`python -m mlflow_conformance rbac`)")
    return None


def _unread(found: Discovered, resource: str, what: str, obj: object, code: str,
            remedy: str) -> Finding | None:
    """The finding when the object could not be read (a harness error) or does not exist
    (the platform's failure); None when it is there to judge."""
    denied = _denied(found, resource, what)
    if denied or obj is not None:
        return denied
    return Finding(Outcome.FAIL, code, f"no {what} in namespace {found.namespace}",
                   {"namespace": found.namespace}, remedy)


def judge_deployment(found: Discovered) -> Finding:
    absent = _unread(found, "deployments", "MLflow Deployment", found.deployment,
                     "deployment_missing", "enable MLflow in the platform (helm upgrade --set "
                     "mlflow.enabled=true --reuse-values ilum ilum/ilum) or name it with "
                     "--mlflow-deployment")
    if absent is not None:
        return absent
    assert found.deployment is not None  # _unread answers None only for an object that was read
    meta, status = found.deployment.get("metadata", {}), found.deployment.get("status") or {}
    wanted = (found.deployment.get("spec") or {}).get("replicas", 1)
    container = server_container(found.deployment) or {}
    evidence: dict[str, Any] = {
        "name": meta.get("name"), "replicas": wanted,
        "ready_replicas": status.get("readyReplicas") or 0,
        "available_replicas": status.get("availableReplicas") or 0,
        "image": container.get("image"), "server_flags": public(found)["server_flags"]}
    if not evidence["available_replicas"]:
        return Finding(Outcome.FAIL, "deployment_unavailable", f"Deployment {meta.get('name')} "
                       f"has no available replica ({evidence['ready_replicas']}/{wanted} "
                       "ready)", evidence,
                       "kubectl -n <ns> describe deployment and read the server pod's log "
                       "(database or S3 unreachable at start-up is the usual cause)")
    flags = server_settings(container)
    if "--backend-store-uri" not in flags:
        return Finding(Outcome.FAIL, "deployment_misconfigured", "the MLflow server runs "
                       "without a backend store URI (it would keep runs in the pod's own "
                       "file system)", evidence,
                       "wire the PostgreSQL backend: --backend-store-uri from the database "
                       "Secret")
    return Finding(Outcome.PASS, "ok", f"Deployment {meta.get('name')}: "
                   f"{evidence['available_replicas']}/{wanted} available, image "
                   f"{evidence['image']}", evidence)


def judge_service(found: Discovered) -> Finding:
    absent = _unread(found, "services", "tracking Service", found.service, "service_missing",
                     "the platform's chart creates ilum-mlflow-tracking; re-run the Helm "
                     "upgrade or name it with --mlflow-service")
    if absent is not None:
        return absent
    assert found.service is not None  # _unread answers None only for an object that was read
    spec = found.service.get("spec") or {}
    name = found.service["metadata"]["name"]
    ports = [p.get("port") for p in spec.get("ports") or []]
    ready = [a.get("ip") for subset in (found.endpoints or {}).get("subsets") or []
             for a in subset.get("addresses") or []]
    evidence = {"name": name, "type": spec.get("type", "ClusterIP"),
                "cluster_ip": spec.get("clusterIP"), "ports": ports, "ready_endpoints": ready}
    if evidence["type"] != "ClusterIP":
        return Finding(Outcome.FAIL, "service_exposed", f"Service {name} is of type "
                       f"{evidence['type']}: MLflow has no authentication of its own and is "
                       "reachable from outside the cluster", evidence,
                       "make the Service ClusterIP and expose MLflow only through the "
                       "platform's authenticated ingress (P9.3)")
    if TRACKING_PORT not in ports:
        return Finding(Outcome.FAIL, "service_port_wrong", f"Service {name} does not serve "
                       f"port {TRACKING_PORT} (ports: {ports})", evidence,
                       "jobs are given http://ilum-mlflow-tracking:5000: the Service must "
                       "listen on 5000")
    if not ready:
        return Finding(Outcome.FAIL, "service_no_endpoints", f"Service {name} has no ready "
                       "endpoint: no server pod backs it", evidence,
                       "check the Deployment's readiness and that the Service's selector "
                       "matches its pod labels")
    return Finding(Outcome.PASS, "ok", f"Service {name}: ClusterIP {evidence['cluster_ip']} "
                   f"port {TRACKING_PORT}, {len(ready)} ready endpoint(s)", evidence)


def judge_secrets(found: Discovered) -> Finding:
    denied = _denied(found, "secrets", "Secrets")
    if denied:
        return denied

    wanted = referenced_secrets(found.deployment)
    missing = sorted(name for name in wanted if found.server_secrets.get(name) is None)
    lacking = {name: sorted(keys - set(found.server_secrets.get(name) or []))
               for name, keys in wanted.items() if name not in missing}
    lacking = {name: keys for name, keys in lacking.items() if keys}
    job_missing = sorted(f"{ns}: {ref}" for ns, per in found.job_settings.items()
                         for ref, data in per.items() if data is None)
    for namespace in found.job_settings:
        env, conf = job_environment(found, namespace)
        # What a job cannot do without (P5.1, P9.1): the tracking URI, S3 credentials.
        gaps = [key for key in JOB_KEYS if key not in env and key not in conf]
        if gaps and not job_missing:
            lacking[f"job settings in {namespace}"] = gaps
    evidence = {"referenced": {n: sorted(k) for n, k in wanted.items()}, "missing": missing,
                "keys_missing": lacking, "job_settings_missing": job_missing}
    if missing or job_missing:
        what = ", ".join(missing + job_missing)
        return Finding(Outcome.FAIL, "secret_missing", f"missing: {what}", evidence,
                       "re-run the platform's Helm upgrade (it creates the database and S3 "
                       "Secrets) or name the job settings with --job-settings")
    if lacking:
        what = "; ".join(f"{n} lacks {', '.join(k)}" for n, k in lacking.items())
        return Finding(Outcome.FAIL, "secret_key_missing", what, evidence,
                       "add the keys the server reads to the Secret (kubectl -n <ns> edit "
                       "secret) and restart the Deployment")
    if not wanted:
        return Finding(Outcome.FAIL, "secret_missing", "the MLflow server takes no credential "
                       "from a Secret (database and S3 access should be wired from Secrets)",
                       evidence, "wire the database URI and S3 keys from Secrets (P3.2)")
    return Finding(Outcome.PASS, "ok", f"{len(wanted)} Secret(s) present with every key the "
                   "server reads", evidence)
