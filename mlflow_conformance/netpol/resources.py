"""Namespaces, pods, workload templates (as pseudo-pods) and Services from their API form
(camelCase, as `kubectl get -o json` and manifests write them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidObject
from .label_selector import label_map
from .model import PROTOCOLS, Namespace, Pod, Service, ServicePort

# Workload kinds whose pod template stands in for the pods they will create.
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata") or {}
    if not isinstance(meta, Mapping) or not meta.get("name"):
        raise InvalidObject(f"{obj.get('kind')}: metadata.name is missing")
    return meta


def parse_namespace(obj: Mapping[str, Any]) -> Namespace:
    meta = _meta(obj)
    return Namespace(str(meta["name"]), label_map(meta.get("labels"), f"Namespace "
                                                  f"{meta['name']} metadata.labels"))


def parse_pod(obj: Mapping[str, Any], default_namespace: str = "default") -> Pod:
    meta = _meta(obj)
    namespace = str(meta.get("namespace") or default_namespace)
    where = f"Pod {namespace}/{meta['name']}"
    status = obj.get("status") or {}
    return Pod(namespace, str(meta["name"]), label_map(meta.get("labels"),
                                                       f"{where} metadata.labels"),
               status.get("podIP") or None, _container_ports(obj.get("spec") or {}, where))


def parse_workload(obj: Mapping[str, Any], default_namespace: str = "default") -> Pod:
    """The pod template of a workload, named "<kind>/<name>" (its pods do not exist yet)."""
    meta, kind = _meta(obj), str(obj.get("kind"))
    namespace = str(meta.get("namespace") or default_namespace)
    where = f"{kind} {namespace}/{meta['name']}"
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") or {}
    labels = label_map((template.get("metadata") or {}).get("labels"),
                       f"{where} spec.template.metadata.labels")
    return Pod(namespace, f"{kind.lower()}/{meta['name']}", labels, None,
               _container_ports(template.get("spec") or {}, where))


def _container_ports(pod_spec: Mapping[str, Any], where: str) -> dict[str, tuple[int, str]]:
    named: dict[str, tuple[int, str]] = {}
    for container in [*(pod_spec.get("initContainers") or ()),
                      *(pod_spec.get("containers") or ())]:
        for port in container.get("ports") or ():
            protocol = str(port.get("protocol") or "TCP")
            if protocol not in PROTOCOLS or not isinstance(port.get("containerPort"), int):
                raise InvalidObject(f"{where}: container {container.get('name')} has a bad "
                                    f"port {dict(port)}")
            if port.get("name"):
                named[str(port["name"])] = (port["containerPort"], protocol)
    return named


def parse_service(obj: Mapping[str, Any], default_namespace: str = "default") -> Service:
    meta = _meta(obj)
    namespace = str(meta.get("namespace") or default_namespace)
    where = f"Service {namespace}/{meta['name']}"
    spec = obj.get("spec") or {}
    ports = []
    for i, port in enumerate(spec.get("ports") or ()):
        number, target = port.get("port"), port.get("targetPort", port.get("port"))
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        if not isinstance(number, int) or not isinstance(target, int | str):
            raise InvalidObject(f"{where} spec.ports[{i}]: needs a numeric port")
        ports.append(ServicePort(number, target, str(port.get("protocol") or "TCP"),
                                 str(port.get("name") or "")))
    cluster_ip = spec.get("clusterIP")
    return Service(namespace, str(meta["name"]),
                   label_map(spec.get("selector"), f"{where} spec.selector"), tuple(ports),
                   None if cluster_ip in (None, "", "None") else str(cluster_ip))
