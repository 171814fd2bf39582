"""A Kubernetes API server double: the real REST API over HTTPS on 127.0.0.1, with state.

The official `kubernetes` client (and any kubelet-like program built on it) works against it
unchanged through the kubeconfig it writes. It does not drift into fiction: every body it
accepts (create, replace, and the result of a patch) is checked against the official
Kubernetes 1.37 JSON schemas that `kubernetes_validate` ships, in their strict variant, so an
unknown field is refused as a strict server refuses it (400 BadRequest, `strict decoding
error: unknown field "spec.x"`), a wrong type as a decode error (400) and anything else the
schema rejects as 422 Invalid with `details.causes`. Errors are real `Status` objects.

Emulated:
- discovery (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/{group}/{version}`);
- core v1 namespaces, nodes, pods, services, endpoints, secrets, configmaps, serviceaccounts,
  events; apps/v1 deployments; networking.k8s.io/v1 networkpolicies, ingresses;
  coordination.k8s.io/v1 leases; authorization.k8s.io/v1 selfsubjectaccessreviews;
- create (with generateName), get, list (label and field selectors, all namespaces,
  `limit`/`continue`), watch (JSON lines, `resourceVersion`, `timeoutSeconds`), replace,
  patch (strategic merge, merge and JSON patch), delete (grace period, uid/resourceVersion
  preconditions, finalizers hold the object), deletecollection, `dryRun=All`, optimistic
  concurrency on resourceVersion (a uid in an update body is a precondition too);
- server-set metadata (uid, global resourceVersion, creationTimestamp, generation bumped on
  spec changes, deletionTimestamp) and the defaults of pods, services, deployments,
  namespaces, secrets and network policies; namespaces default, kube-system, kube-public and
  kube-node-lease exist from the start;
- bearer-token authentication and RBAC-like authorization (`add_user` rules), answered the
  same way by SelfSubjectAccessReview; TokenRequest (`serviceaccounts/token`) tokens that
  authenticate as `system:serviceaccount:{namespace}:{name}`;
- pods: ServiceAccount admission (each namespace gets its `default` ServiceAccount at once,
  the one controller emulated), binding, the status subresource, pod spec immutability,
  graceful deletion of bound pods, `pods/log` proxied to the node's kubelet endpoint
  (`/containerLogs/...`, verified with `kubelet_ca_file`);
- services: ClusterIPs from a random /24 of 127.0.0.0/8 (`service_cidr`), so the node
  double's pods reach them on loopback; NodePorts from 30000-32767.

Not emulated: controllers (no ReplicaSets or pods from Deployments, no Endpoints from
Services, no garbage collection by ownerReferences, no scheduler, no kube-root-ca.crt
ConfigMaps), admission webhooks and every admission plugin but ServiceAccount and
NamespaceLifecycle (the ServiceAccount plugin here checks the account exists but does not
inject the projected token volume), server-side apply and protobuf/CBOR bodies (415),
`fieldValidation` (always Strict), Table output, OpenAPI documents (kubectl needs
`--validate=false`), pods/exec, attach, portforward and the proxy subresources,
impersonation, client certificates, the client certificate the real API server presents to
the kubelet, managedFields, and most of the Go validation beyond the schemas (names, pod
container images, pod spec immutability, deployment selectors and Service IPs are
checked). Strategic merge knows the merge keys of the common lists only (containers, env,
volumes, conditions, containerStatuses, ports, ownerReferences...), merges finalizers as a
union and ignores the `$setElementOrder`/`$retainKeys`/`$deleteFromPrimitiveList`
directives. Deleting a namespace removes everything in it at once (no lasting Terminating
phase, finalizers inside it are not waited for). A watch filters events by the object's
state after the change (no synthetic DELETED when an object stops matching a selector) and
sends no bookmarks; continue tokens are offsets into the current list, not snapshots.
"""

from __future__ import annotations

import base64
import bisect
import copy
import datetime
import ipaddress
import json
import re
import secrets
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from kubernetes_validate import utils as kv_utils
from referencing import Registry
from referencing import Resource as SchemaResource

from tests.kube.pki import CertificateAuthority
from tests.kube.selectors import SelectorError, field_matcher, label_matcher

ADMIN_TOKEN = "cluster-double-admin-token"
KUBE_VERSION = "1.37.0"
ADMIN_USER = "kubernetes-admin"
_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_ADMIN_RULES = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                {"verbs": ["*"], "nonResourceURLs": ["*"]}]
_INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_MAX_WATCH_SECONDS = 1800
Obj = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    verbs: tuple[str, ...] = _ALL_VERBS
    # subresource -> (kind, verbs) for discovery and routing
    subresources: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    fields: tuple[str, ...] = ()   # selectable fields beyond metadata.name/namespace
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`pods`, `deployments.apps`: how the server names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


_STATUS_VERBS = ("get", "patch", "update")
RESOURCES = (
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False,
                 verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
                 subresources={"status": ("Namespace", _STATUS_VERBS)},
                 fields=("status.phase",), short_names=("ns",)),
    ResourceType("", "v1", "nodes", "Node", namespaced=False,
                 subresources={"status": ("Node", _STATUS_VERBS)},
                 fields=("spec.unschedulable",), short_names=("no",)),
    ResourceType("", "v1", "pods", "Pod",
                 subresources={"status": ("Pod", _STATUS_VERBS),
                               "binding": ("Binding", ("create",)), "log": ("Pod", ("get",))},
                 fields=("spec.nodeName", "status.phase", "spec.restartPolicy",
                         "spec.schedulerName", "spec.serviceAccountName", "status.podIP",
                         "status.nominatedNodeName", "spec.hostNetwork"),
                 short_names=("po",)),
    ResourceType("", "v1", "services", "Service",
                 subresources={"status": ("Service", _STATUS_VERBS)}, short_names=("svc",)),
    ResourceType("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    ResourceType("", "v1", "secrets", "Secret", fields=("type",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount",
                 subresources={"token": ("TokenRequest", ("create",))}, short_names=("sa",)),
    ResourceType("", "v1", "events", "Event",
                 fields=("involvedObject.kind", "involvedObject.namespace",
                         "involvedObject.name", "involvedObject.uid", "involvedObject.fieldPath",
                         "reason", "type", "source"), short_names=("ev",)),
    ResourceType("apps", "v1", "deployments", "Deployment",
                 subresources={"status": ("Deployment", _STATUS_VERBS)}, short_names=("deploy",)),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy",
                 short_names=("netpol",)),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress",
                 subresources={"status": ("Ingress", _STATUS_VERBS)}, short_names=("ing",)),
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease"),
    ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews",
                 "SelfSubjectAccessReview", namespaced=False, verbs=("create",)),
)
_BY_PLURAL = {resource.plural: resource for resource in RESOURCES}
_BY_KIND = {(resource.api_version, resource.kind): resource for resource in RESOURCES}
_GROUP_VERSIONS = sorted({(r.group, r.version) for r in RESOURCES if r.group})
# Kinds whose strategies keep metadata.generation, bumped when the spec changes
_GENERATION_KINDS = frozenset({"Pod", "Deployment", "NetworkPolicy", "Ingress"})
# Kinds whose status only the status subresource changes
_STATUS_KINDS = frozenset({"Pod", "Deployment", "Service", "Node", "Namespace", "Ingress"})
# Kinds whose delete answers the object, as the OpenAPI of the real server says; others: Status
_RETURNS_DELETED = frozenset({"Pod", "Service", "Namespace"})


class ApiError(Exception):
    """A refusal, carried to the client as a `Status` with `code`."""

    def __init__(self, code: int, reason: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "message": message, "reason": reason,
                            "code": code}
        if details is not None:
            self.status["details"] = details
        self.code = code


def _details(resource: ResourceType, name: str | None, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name} if name else {}
    if resource.group:
        details["group"] = resource.group
    details["kind"] = resource.plural
    return {**details, **extra}


def _not_found(resource: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource.qualified} "{name}" not found',
                    _details(resource, name))


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def _invalid(resource: ResourceType, name: str, causes: list[dict[str, str]]) -> ApiError:
    parts = [f"{cause['field']}: {cause['message']}" for cause in causes]
    summary = parts[0] if len(parts) == 1 else f"[{', '.join(parts)}]"
    details = {"name": name, **({"group": resource.group} if resource.group else {}),
               "kind": resource.kind, "causes": causes}
    return ApiError(422, "Invalid", f'{resource.qualified_kind} "{name}" is invalid: {summary}',
                    details)


def _conflict(resource: ResourceType, name: str, why: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {resource.qualified} '
                    f'"{name}": {why}', _details(resource, name))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- schema validation

class _SchemaValidator:
    """The strict schemas of kubernetes_validate, loaded once per kind (the library's
    `validate` rereads them per call and stops at the first error; the server lists all)."""

    def __init__(self) -> None:
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._definitions: Any = None
        self._lock = threading.Lock()
        # the same resolution kubernetes_validate.validate does for the version
        self._dir = f"kubernetes-json-schema/v{KUBE_VERSION}-local-strict"

    def _validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator:
        with self._lock:
            key = (api_version, kind)
            if key not in self._validators:
                group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
                schema = kv_utils.schema_contents(
                    f"{self._dir}/{kind.lower()}-{group_version}.json", KUBE_VERSION)
                if self._definitions is None:   # one large file every kind refers to
                    self._definitions = kv_utils.schema_contents(
                        f"{self._dir}/_definitions.json", KUBE_VERSION)
                registry = SchemaResource.from_contents(self._definitions) @ (
                    SchemaResource.from_contents(schema) @ Registry())
                self._validators[key] = jsonschema.Draft202012Validator(schema,
                                                                        registry=registry)
            return self._validators[key]

    def check(self, resource: ResourceType, obj: Obj) -> None:
        errors = list(self._validator(obj["apiVersion"], obj["kind"]).iter_errors(obj))
        if not errors:
            return
        handled_as = (f'{obj["kind"]} in version "{resource.version}" cannot be handled as a '
                      f'{obj["kind"]}')
        unknown = [f'unknown field "{_field_path([*e.absolute_path, name])}"'
                   for e in errors if e.validator == "additionalProperties"
                   for name in _unexpected(e)]
        if unknown:
            raise _bad_request(f"{handled_as}: strict decoding error: {', '.join(unknown)}")
        for error in errors:
            if error.validator == "type":
                raise _bad_request(
                    f"{handled_as}: json: cannot unmarshal {_json_type(error.instance)} into "
                    f"Go struct field {_field_path(error.absolute_path)} of type "
                    f"{error.validator_value}")
        raise _invalid(resource, obj.get("metadata", {}).get("name", ""),
                       [_cause(error) for error in errors])


# shared by every ApiServer of the process: loading the schemas is the slow part
_SCHEMAS = _SchemaValidator()


def _unexpected(error: jsonschema.ValidationError) -> list[str]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    return sorted(name for name in instance if name not in known)


def _field_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _json_type(value: Any) -> str:
    names = {str: "string", bool: "bool", int: "number", float: "number", list: "array",
             dict: "object"}
    return names.get(type(value), "null")


def _cause(error: jsonschema.ValidationError) -> dict[str, str]:
    if error.validator == "required":
        missing = re.match(r"'([^']+)'", error.message)
        name = missing.group(1) if missing else "?"
        return {"reason": "FieldValueRequired", "message": "Required value",
                "field": _field_path([*error.absolute_path, name])}
    if error.validator == "enum":
        supported = ", ".join(json.dumps(v) for v in error.validator_value)
        return {"reason": "FieldValueNotSupported", "field": _field_path(error.absolute_path),
                "message": f"Unsupported value: {json.dumps(error.instance)}: "
                           f"supported values: {supported}"}
    return {"reason": "FieldValueInvalid", "field": _field_path(error.absolute_path),
            "message": f"Invalid value: {json.dumps(error.instance)}: {error.message}"}


# ---------------------------------------------------------------- patches

_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
               "env": "name", "volumes": "name", "volumeMounts": "mountPath",
               "conditions": "type", "containerStatuses": "name",
               "initContainerStatuses": "name", "ephemeralContainerStatuses": "name",
               "imagePullSecrets": "name", "hostAliases": "ip", "addresses": "type",
               "volumeDevices": "devicePath", "ownerReferences": "uid",
               "readinessGates": "conditionType"}
# primitive lists whose strategic merge is a union (metadata.finalizers)
_UNION_LISTS = frozenset({"finalizers"})


def _merge_key(name: str, items: list[Any]) -> str | None:
    if name == "ports":   # container ports merge on containerPort, service ports on port
        has_container_port = any(isinstance(i, dict) and "containerPort" in i for i in items)
        return "containerPort" if has_container_port else "port"
    return _MERGE_KEYS.get(name)


def _without_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_without_directives(v) for v in value]
    return value


def strategic_merge(original: Any, patch: Any) -> Any:
    """Strategic merge patch, simplified: maps merge, null deletes, lists with a known merge key
    merge item by item (`$patch: delete` removes one, `$patch: replace` replaces), others are
    replaced."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        return _without_directives(patch)
    if patch.get("$patch") == "replace":
        return _without_directives(patch)
    result = copy.deepcopy(original)
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        merge_key = _merge_key(key, value) if isinstance(value, list) else None
        if value is None:
            result.pop(key, None)
        elif key in _UNION_LISTS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = result[key] + [item for item in value if item not in result[key]]
        elif merge_key and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, merge_key)
        else:
            result[key] = strategic_merge(result.get(key), value)
    return result


def _merge_list(original: list[Any], patch: list[Any], key: str) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_without_directives(item) for item in patch
                if not (isinstance(item, dict) and "$patch" in item)]
    result = copy.deepcopy(original)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            result.append(_without_directives(item))
            continue
        index = next((i for i, old in enumerate(result)
                      if isinstance(old, dict) and old.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_without_directives(item))
        else:
            result[index] = strategic_merge(result[index], item)
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path and not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _resolve(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _json_patch_add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, last = _resolve(doc, parts[:-1]), parts[-1]
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else int(last), value)
    else:
        parent[last] = value
    return doc


def _json_patch_remove(doc: Any, parts: list[str]) -> Any:
    parent, last = _resolve(doc, parts[:-1]), parts[-1]
    removed = parent.pop(int(last)) if isinstance(parent, list) else parent.pop(last)
    return removed


def json_patch(doc: Any, operations: list[Any]) -> Any:
    """RFC 6902 JSON patch; a failing operation raises ValueError/KeyError/IndexError."""
    doc = copy.deepcopy(doc)
    for operation in operations:
        op, parts = operation["op"], _pointer(operation["path"])
        if op == "add":
            doc = _json_patch_add(doc, parts, copy.deepcopy(operation["value"]))
        elif op == "remove":
            _json_patch_remove(doc, parts)
        elif op == "replace":
            _resolve(doc, parts)   # replace requires the target to exist
            if parts:
                _json_patch_remove(doc, parts)
            doc = _json_patch_add(doc, parts, copy.deepcopy(operation["value"]))
        elif op in ("move", "copy"):
            source = _pointer(operation["from"])
            value = (_json_patch_remove(doc, source) if op == "move"
                     else copy.deepcopy(_resolve(doc, source)))
            doc = _json_patch_add(doc, parts, value)
        elif op == "test":
            if _resolve(doc, parts) != operation["value"]:
                raise ValueError(f"testing value {operation['path']} failed")
        else:
            raise ValueError(f"Unexpected kind: {op}")
    return doc


# ---------------------------------------------------------------- defaults and validation

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# kinds whose names the server checks as DNS-1123 labels rather than subdomains
_LABEL_NAMED = frozenset({"Namespace", "Service"})
_GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"   # the apiserver's alphabet, no vowels


def _name_causes(kind: str, name: str) -> list[dict[str, str]]:
    pattern = _LABEL_NAME if kind in _LABEL_NAMED else _NAME
    limit = 63 if kind in _LABEL_NAMED else 253
    if pattern.match(name) and len(name) <= limit:
        return []
    what = "RFC 1123 label" if kind in _LABEL_NAMED else "RFC 1123 subdomain"
    return [{"reason": "FieldValueInvalid", "field": "metadata.name",
             "message": f'Invalid value: "{name}": a lowercase {what} must consist of lower '
                        "case alphanumeric characters, '-' or '.', and must start and end "
                        "with an alphanumeric character"}]


def _pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_container(container: Obj) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("imagePullPolicy", _pull_policy(container.get("image", "")))
    container.setdefault("resources", {})
    for port in container.get("ports", []):
        port.setdefault("protocol", "TCP")


def _default_pod_spec(spec: Obj) -> None:
    for key, value in (("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"),
                       ("terminationGracePeriodSeconds", 30),
                       ("schedulerName", "default-scheduler"), ("securityContext", {})):
        spec.setdefault(key, value)
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        _default_container(container)


def _qos_class(spec: Obj) -> str:
    resources = [c.get("resources", {}) for c in spec.get("containers", [])]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        all(r.get("limits", {}).get(k) and r.get("requests", r.get("limits", {})).get(k)
            == r["limits"][k] for k in ("cpu", "memory")) for r in resources)
    return "Guaranteed" if guaranteed else "Burstable"


def _default_pod(pod: Obj, creating: bool) -> None:
    spec = pod["spec"]
    _default_pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = account
    if creating:
        pod["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}


def _default_deployment(deployment: Obj, creating: bool) -> None:
    spec = deployment["spec"]
    spec.setdefault("replicas", 1)
    spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": "25%", "maxSurge": "25%"}})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))
    if creating:
        deployment["status"] = {}


def _default_service(service: Obj, creating: bool) -> None:
    spec = service.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports", []):
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    if spec["type"] != "ExternalName":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if creating:
        service["status"] = {"loadBalancer": {}}


def _default_namespace(namespace: Obj, creating: bool) -> None:
    name = namespace["metadata"]["name"]
    namespace["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    namespace.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    if creating:
        namespace["status"] = {"phase": "Active"}


def _default_secret(secret: Obj, creating: bool) -> None:
    secret.setdefault("type", "Opaque")
    data = secret.setdefault("data", {}) if secret.get("stringData") else secret.get("data", {})
    for key, value in (secret.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    for key, value in (data or {}).items():
        try:
            base64.b64decode(value, validate=True)
        except ValueError as error:
            raise _bad_request(f'Secret in version "v1" cannot be handled as a Secret: '
                               f"illegal base64 data in data.{key}") from error


def _default_network_policy(policy: Obj, creating: bool) -> None:
    spec = policy.setdefault("spec", {})
    if "policyTypes" not in spec:
        spec["policyTypes"] = ["Ingress", *(["Egress"] if spec.get("egress") else [])]


_DEFAULTERS: dict[str, Callable[[Obj, bool], None]] = {
    "Pod": _default_pod, "Deployment": _default_deployment, "Service": _default_service,
    "Namespace": _default_namespace, "Secret": _default_secret,
    "NetworkPolicy": _default_network_policy}


_LABEL_PART = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _label_causes(labels: dict[str, str]) -> list[dict[str, str]]:
    causes = []
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if not name or len(name) > 63 or not _LABEL_PART.match(name) or (
                prefix and not (_NAME.match(prefix) and len(prefix) <= 253)):
            causes.append({"reason": "FieldValueInvalid", "field": "metadata.labels",
                           "message": f'Invalid value: "{key}": name part must consist of '
                                      "alphanumeric characters, '-', '_' or '.', and must "
                                      "start and end with an alphanumeric character"})
        if len(value) > 63 or not _LABEL_PART.match(value):
            causes.append({"reason": "FieldValueInvalid", "field": "metadata.labels",
                           "message": f'Invalid value: "{value}": a valid label must be an '
                                      "empty string or consist of alphanumeric characters, "
                                      "'-', '_' or '.', and must start and end with an "
                                      "alphanumeric character"})
    return causes


def _semantic_causes(obj: Obj) -> list[dict[str, str]]:
    """The Go validation the schemas do not carry, for the cases users meet most."""
    causes = _label_causes(obj["metadata"].get("labels") or {})
    if obj["kind"] == "Pod":
        for index, container in enumerate(obj["spec"].get("containers", [])):
            if not container.get("image"):
                causes.append({"reason": "FieldValueRequired", "message": "Required value",
                               "field": f"spec.containers[{index}].image"})
    if obj["kind"] == "Deployment":
        selector = obj["spec"].get("selector", {}).get("matchLabels", {})
        labels = obj["spec"].get("template", {}).get("metadata", {}).get("labels", {})
        if any(labels.get(k) != v for k, v in selector.items()):
            causes.append({"reason": "FieldValueInvalid",
                           "field": "spec.template.metadata.labels",
                           "message": f"Invalid value: {json.dumps(labels)}: "
                                      "`selector` does not match template `labels`"})
    return causes


def _pod_spec_for_comparison(spec: Obj) -> Obj:
    """The pod spec minus what an update may change (images, activeDeadlineSeconds,
    tolerations), to refuse every other change as the real server does."""
    spec = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for container in spec.get(key, []):
            container.pop("image", None)
    spec.pop("activeDeadlineSeconds", None)
    spec.pop("tolerations", None)
    return spec


# ---------------------------------------------------------------- HTTP plumbing

_BINDING = ResourceType("", "v1", "bindings", "Binding")
_TOKEN_REQUEST = ResourceType("authentication.k8s.io", "v1", "tokenrequests", "TokenRequest")


@dataclass
class _Request:
    method: str
    query: dict[str, str]
    body: bytes
    content_type: str
    user: str


@dataclass
class _Reply:
    code: int
    body: Obj | str | bytes
    content_type: str = "application/json"
    stream: Iterator[bytes] | None = None


@dataclass(frozen=True)
class _Target:
    """What a resource URL names: /api/v1/namespaces/{namespace}/{plural}/{name}/{sub}."""
    resource: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


@dataclass
class _Event:
    resource_version: int
    kind: str   # ADDED, MODIFIED, DELETED
    plural: str
    obj: Obj


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as the client's connection pool expects
    disable_nagle_algorithm = True   # headers and body leave in two writes: no 40 ms stalls
    server: _TLSServer

    def _serve(self) -> None:
        self.server.api._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: `ApiServer.requests` is the log."""


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: ApiServer, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api, self.context = api, context

    def finish_request(self, request: Any, client_address: Any) -> None:
        # the TLS handshake in the connection's own thread: a stalled client blocks no other
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that drops its connection (or fails TLS) is no server failure."""


class ApiServer:
    """The API server double; `with ApiServer(folder) as api:` serves on `api.url`."""

    def __init__(self, folder: Path, *, kubelet_ca_file: Path | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._authority = CertificateAuthority(self.folder / "pki")
        self.ca_file = self._authority.ca_file
        self.kubelet_ca_file = kubelet_ca_file
        self.url = ""
        self.requests: list[tuple[str, str, int]] = []
        # a /24 of its own per instance: several doubles (and their nodes) share loopback
        self.service_cidr = f"127.{100 + secrets.randbelow(100)}.{secrets.randbelow(256)}.0/24"
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._objects: dict[tuple[str, str, str], Obj] = {}
        self._events: list[_Event] = []
        self._resource_version = 0
        self._tokens: dict[str, str] = {ADMIN_TOKEN: ADMIN_USER}
        self._rules: dict[str, list[dict[str, Any]]] = {ADMIN_USER: _ADMIN_RULES}
        self._server: _TLSServer | None = None
        self._stopping = threading.Event()
        for name in _INITIAL_NAMESPACES:
            self.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    # ------------------------------------------------------------ public interface

    def start(self) -> ApiServer:
        cert = self._authority.issue("apiserver")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        self._server = _TLSServer(self, context)
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="apiserver-double", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_user(self, token: str, username: str, rules: list[dict[str, Any]]) -> None:
        """A bearer token for `username`, allowed what `rules` (RBAC PolicyRules, plus an
        optional `namespaces` list) allow; rules given to one username accumulate."""
        with self._lock:
            self._tokens[token] = username
            self._rules.setdefault(username, []).extend(copy.deepcopy(rules))

    def kubeconfig(self, path: Path, *, token: str = ADMIN_TOKEN, context: str = "double",
                   namespace: str | None = None) -> Path:
        ca_data = base64.b64encode(self._authority.ca_pem).decode()
        context_entry: Obj = {"cluster": context, "user": context}
        if namespace:
            context_entry["namespace"] = namespace
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": context, "cluster": {
                "server": self.url, "certificate-authority-data": ca_data}}],
            "users": [{"name": context, "user": {"token": token}}],
            "contexts": [{"name": context, "context": context_entry}]}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        return path

    def seed(self, obj: Obj) -> Obj:
        """Store `obj` as an admin create would (validated, defaulted, admitted); a refusal
        raises ApiError with the Status the API would have answered."""
        resource = _BY_KIND.get((obj.get("apiVersion", ""), obj.get("kind", "")))
        if resource is None:
            raise ValueError(f"no resource for {obj.get('apiVersion')} {obj.get('kind')}")
        namespace = obj.get("metadata", {}).get("namespace") or "default"
        return self._create(resource, namespace if resource.namespaced else None,
                            copy.deepcopy(obj), dry_run=False)

    def objects(self, resource: str | None = None, namespace: str | None = None,
                label_selector: str | None = None) -> list[Obj]:
        matches = label_matcher(label_selector)
        with self._lock:
            return [copy.deepcopy(obj) for (plural, ns, _), obj in sorted(self._objects.items())
                    if resource in (None, plural) and namespace in (None, ns)
                    and matches(obj["metadata"].get("labels") or {})]

    # ------------------------------------------------------------ HTTP

    def _serve(self, handler: _Handler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        try:
            user = self._authenticate(handler.headers.get("Authorization", ""))
            request = _Request(handler.command, dict(urllib.parse.parse_qsl(parsed.query)),
                               body, handler.headers.get("Content-Type", ""), user)
            reply = self._route(parsed.path, request)
        except ApiError as error:
            reply = _Reply(error.code, error.status)
        except Exception as error:   # noqa: BLE001 - any bug answers 500, as a real server
            reply = _Reply(500, ApiError(500, "InternalError", f"{type(error).__name__}: "
                                         f"{error}").status)
        with self._lock:
            self.requests.append((handler.command, handler.path, reply.code))
        try:
            _write(handler, reply)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            handler.close_connection = True

    def _authenticate(self, header: str) -> str:
        scheme, _, token = header.partition(" ")
        with self._lock:
            user = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return user

    def _route(self, path: str, request: _Request) -> _Reply:
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        discovery = self._discovery(parts)
        if discovery is not None:
            if request.method != "GET":
                raise _method_not_allowed()
            return _Reply(200, discovery)
        if parts in (["healthz"], ["livez"], ["readyz"]):
            return _Reply(200, "ok", "text/plain")
        target = _parse_target(parts)
        verb = _verb(request, target)
        allowed = (target.resource.subresources[target.subresource][1] if target.subresource
                   else target.resource.verbs)
        if verb not in allowed and not (verb == "watch" and "list" in allowed):
            raise _method_not_allowed()
        if target.resource.plural != "selfsubjectaccessreviews":   # every user may ask
            self._authorize(request.user, verb, target)
        return self._dispatch(verb, target, request)

    def _dispatch(self, verb: str, target: _Target, request: _Request) -> _Reply:
        resource, namespace, name = target.resource, target.namespace, target.name
        dry_run = request.query.get("dryRun") == "All"
        if resource.plural == "selfsubjectaccessreviews":
            return _Reply(201, self._access_review(request))
        if target.subresource in ("log", "binding", "token"):
            return self._special_subresource(target, request, dry_run)
        status_only = target.subresource == "status"
        if verb == "get":
            return _Reply(200, self._get(resource, namespace, name or ""))
        if verb == "list":
            return _Reply(200, self._list(resource, namespace, request.query))
        if verb == "watch":
            return _Reply(200, {}, stream=self._watch(resource, namespace, request.query))
        if verb == "create":
            return _Reply(201, self._create(resource, namespace, _json_body(request), dry_run))
        if verb == "update":
            return _Reply(200, self._update(resource, namespace, name or "",
                                            _json_body(request), status_only, dry_run))
        if verb == "patch":
            return _Reply(200, self._patch(resource, namespace, name or "", request,
                                           status_only, dry_run))
        options = _delete_options(request)
        if verb == "delete":
            return self._delete(resource, namespace, name or "", options)
        return _Reply(200, self._delete_collection(resource, namespace, request.query, options))

    def _special_subresource(self, target: _Target, request: _Request,
                             dry_run: bool) -> _Reply:
        namespace, name = target.namespace or "", target.name or ""
        if target.subresource == "log":
            return self._pod_log(namespace, name, request.query)
        if target.subresource == "binding":
            return self._bind(namespace, name, _json_body(request), dry_run)
        return _Reply(201, self._token_request(namespace, name, _json_body(request)))

    # ------------------------------------------------------------ discovery

    def _discovery(self, parts: list[str]) -> Obj | None:
        if parts == ["version"]:
            return {"major": "1", "minor": KUBE_VERSION.split(".")[1],
                    "gitVersion": f"v{KUBE_VERSION}", "gitCommit": "0" * 40,
                    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                    "goVersion": "go1.25.0", "compiler": "gc", "platform": "linux/amd64"}
        if parts == ["api"]:
            host = self.url.removeprefix("https://")
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}
        if parts == ["apis"]:
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": group, "versions": [{"groupVersion": f"{group}/{version}",
                                              "version": version}],
                 "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version}}
                for group, version in _GROUP_VERSIONS]}
        if parts == ["api", "v1"]:
            return _resource_list("", "v1")
        if len(parts) == 3 and parts[0] == "apis" and (parts[1], parts[2]) in _GROUP_VERSIONS:
            return _resource_list(parts[1], parts[2])
        return None

    # ------------------------------------------------------------ authorization

    def _allowed(self, user: str, verb: str, group: str, resource: str, subresource: str,
                 namespace: str | None, name: str | None) -> bool:
        with self._lock:
            rules = list(self._rules.get(user, []))
        full = f"{resource}/{subresource}" if subresource else resource
        return any(_rule_allows(rule, verb, group, full, namespace, name) for rule in rules)

    def _authorize(self, user: str, verb: str, target: _Target) -> None:
        resource = target.resource
        if self._allowed(user, verb, resource.group, resource.plural, target.subresource or "",
                         target.namespace, target.name):
            return
        full = resource.plural + (f"/{target.subresource}" if target.subresource else "")
        subject = f'{resource.qualified} "{target.name}"' if target.name else resource.qualified
        scope = (f'in the namespace "{target.namespace}"' if target.namespace is not None
                 else "at the cluster scope")
        raise ApiError(403, "Forbidden", f'{subject} is forbidden: User "{user}" cannot {verb} '
                       f'resource "{full}" in API group "{resource.group}" {scope}',
                       _details(resource, target.name))

    def _access_review(self, request: _Request) -> Obj:
        review = self._prepare(_BY_PLURAL["selfsubjectaccessreviews"], None,
                               _json_body(request))
        spec = review.get("spec", {})
        attributes, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if attributes is not None:
            allowed = self._allowed(
                request.user, attributes.get("verb", ""), attributes.get("group", ""),
                attributes.get("resource", ""), attributes.get("subresource", ""),
                attributes.get("namespace") or None, attributes.get("name") or None)
        elif non_resource is not None:
            with self._lock:
                rules = list(self._rules.get(request.user, []))
            allowed = any(_non_resource_allows(rule, non_resource.get("verb", ""),
                                               non_resource.get("path", "")) for rule in rules)
        else:
            raise _invalid(_BY_PLURAL["selfsubjectaccessreviews"], "", [{
                "reason": "FieldValueRequired", "field": "spec.resourceAttributes",
                "message": "Required value: exactly one of nonResourceAttributes or "
                           "resourceAttributes must be specified"}])
        status: Obj = {"allowed": allowed}
        if allowed:
            status["reason"] = f'allowed by the rules given to User "{request.user}"'
        review["status"] = status
        return review

    # ------------------------------------------------------------ storage

    def _stored(self, resource: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self._objects.get((resource.plural, namespace or "", name))
        if obj is None:
            raise _not_found(resource, name)
        return obj

    def _store(self, resource: ResourceType, obj: Obj, kind: str) -> None:
        self._resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self._resource_version)
        key = (resource.plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self._objects[key] = obj
        self._record(kind, resource, obj)

    def _remove(self, resource: ResourceType, obj: Obj) -> None:
        key = (resource.plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        del self._objects[key]
        self._resource_version += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self._resource_version)
        self._record("DELETED", resource, obj)

    def _record(self, kind: str, resource: ResourceType, obj: Obj) -> None:
        self._events.append(_Event(self._resource_version, kind, resource.plural,
                                   copy.deepcopy(obj)))
        self._changed.notify_all()

    # ------------------------------------------------------------ read

    def _get(self, resource: ResourceType, namespace: str | None, name: str) -> Obj:
        with self._lock:
            return copy.deepcopy(self._stored(resource, namespace, name))

    def _select(self, resource: ResourceType, namespace: str | None,
                query: dict[str, str]) -> list[Obj]:
        try:
            labels = label_matcher(query.get("labelSelector"))
            fields = field_matcher(query.get("fieldSelector"), frozenset(
                ("metadata.name", "metadata.namespace", *resource.fields)))
        except SelectorError as error:
            raise _bad_request(str(error)) from error
        with self._lock:
            return [copy.deepcopy(obj) for (plural, ns, _), obj in sorted(self._objects.items())
                    if plural == resource.plural and namespace in (None, ns)
                    and labels(obj["metadata"].get("labels") or {})
                    and fields(_selectable_fields(obj, resource))]

    def _list(self, resource: ResourceType, namespace: str | None,
              query: dict[str, str]) -> Obj:
        with self._lock:
            items = self._select(resource, namespace, query)
            version = str(self._resource_version)
        for item in items:   # the real server leaves them out of list items
            item.pop("apiVersion", None)
            item.pop("kind", None)
        metadata: Obj = {"resourceVersion": version}
        offset = _continue_offset(query.get("continue"))
        limit = _integer("limit", query.get("limit")) or 0
        if limit and offset + limit < len(items):
            metadata["continue"] = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + limit}).encode()).decode()
            metadata["remainingItemCount"] = len(items) - offset - limit
        end = offset + limit if limit else len(items)
        return {"kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                "metadata": metadata, "items": items[offset:end]}

    def _watch(self, resource: ResourceType, namespace: str | None,
               query: dict[str, str]) -> Iterator[bytes]:
        """JSON lines of WatchEvents: the current objects as ADDED unless a resourceVersion is
        given, then every later change, until timeoutSeconds or the server stops."""
        since = query.get("resourceVersion", "")
        timeout = min(_integer("timeoutSeconds", query.get("timeoutSeconds"))
                      or _MAX_WATCH_SECONDS, _MAX_WATCH_SECONDS)
        selected = {"labelSelector": query.get("labelSelector", ""),
                    "fieldSelector": query.get("fieldSelector", "")}
        with self._lock:   # the snapshot and the cursor at once: no change falls between
            initial = [] if since not in ("", "0") else self._select(resource, namespace, query)
            cursor = (_integer("resourceVersion", since) or 0 if since not in ("", "0")
                      else self._resource_version)
        return self._watch_stream(resource, namespace, selected, initial, cursor,
                                  time.monotonic() + timeout)

    def _watch_stream(self, resource: ResourceType, namespace: str | None,
                      query: dict[str, str], initial: list[Obj], cursor: int,
                      deadline: float) -> Iterator[bytes]:
        for obj in initial:
            yield _watch_line("ADDED", obj)
        labels = label_matcher(query["labelSelector"])
        fields = field_matcher(query["fieldSelector"], frozenset(
            ("metadata.name", "metadata.namespace", *resource.fields)))
        while not self._stopping.is_set() and time.monotonic() < deadline:
            with self._changed:   # events are in resourceVersion order: start past the cursor
                start = bisect.bisect_right(self._events, cursor,
                                            key=lambda event: event.resource_version)
                pending = self._events[start:]
                if not pending:
                    self._changed.wait(min(0.5, max(deadline - time.monotonic(), 0)))
                    continue
            cursor = pending[-1].resource_version
            for event in pending:
                obj = event.obj
                if (event.plural == resource.plural
                        and namespace in (None, obj["metadata"].get("namespace", ""))
                        and labels(obj["metadata"].get("labels") or {})
                        and fields(_selectable_fields(obj, resource))):
                    yield _watch_line(event.kind, obj)

    # ------------------------------------------------------------ write

    def _prepare(self, resource: ResourceType, namespace: str | None, body: Any) -> Obj:
        """The body as the server decodes it: apiVersion/kind checked (filled when absent),
        the URL's namespace, then the strict schema."""
        if not isinstance(body, dict):
            raise _bad_request(f"{resource.kind} in version \"{resource.version}\" cannot be "
                               f"handled as a {resource.kind}: the body is no JSON object")
        body.setdefault("apiVersion", resource.api_version)
        body.setdefault("kind", resource.kind)
        if body["apiVersion"] != resource.api_version:
            raise _bad_request(f"the API version in the data ({body['apiVersion']}) does not "
                               f"match the expected API version ({resource.api_version})")
        if body["kind"] != resource.kind:
            raise _bad_request(f'{body["kind"]} in version "{resource.version}" cannot be '
                               f"handled as a {resource.kind}: the kind does not match")
        metadata = body.setdefault("metadata", {})
        if resource.namespaced and namespace is not None:
            if metadata.get("namespace") not in (None, "", namespace):
                raise _bad_request("the namespace of the provided object does not match the "
                                   "namespace sent on the request")
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        _SCHEMAS.check(resource, body)
        return body

    def _create(self, resource: ResourceType, namespace: str | None, body: Any,
                dry_run: bool) -> Obj:
        obj = self._prepare(resource, namespace, body)
        metadata = obj["metadata"]
        with self._lock:
            if resource.namespaced and ("namespaces", "", namespace) not in self._objects:
                raise _not_found(_BY_PLURAL["namespaces"], namespace or "")
            if not metadata.get("name"):
                metadata["name"] = self._generate_name(resource, namespace, metadata)
            name = metadata["name"]
            # the real order: defaults, admission, validation, then storage (AlreadyExists)
            _DEFAULTERS.get(resource.kind, lambda _obj, _creating: None)(obj, True)
            self._admit(resource, obj, None)
            causes = _name_causes(resource.kind, name) + _semantic_causes(obj)
            if causes:
                raise _invalid(resource, name, causes)
            if (resource.plural, namespace or "", name) in self._objects:
                raise ApiError(409, "AlreadyExists", f'{resource.qualified} "{name}" already '
                               "exists", _details(resource, name))
            for transient in ("resourceVersion", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation"):
                metadata.pop(transient, None)
            metadata["uid"] = str(uuid.uuid4())
            metadata["creationTimestamp"] = _now()
            if resource.kind in _GENERATION_KINDS:
                metadata["generation"] = 1
            if not dry_run:
                self._store(resource, obj, "ADDED")
                self._after_create(resource, obj)
            return copy.deepcopy(obj)

    def _generate_name(self, resource: ResourceType, namespace: str | None,
                       metadata: Obj) -> str:
        prefix = metadata.get("generateName")
        if not prefix:
            raise _invalid(resource, "", [{
                "reason": "FieldValueRequired", "field": "metadata.name",
                "message": "Required value: name or generateName is required"}])
        while True:
            name = prefix[:58] + "".join(secrets.choice(_GENERATE_CHARS) for _ in range(5))
            if (resource.plural, namespace or "", name) not in self._objects:
                return name

    def _admit(self, resource: ResourceType, obj: Obj, current: Obj | None) -> None:
        """The admission plugins emulated: ServiceAccount (pods) and the Service IP and
        NodePort allocators."""
        if resource.kind == "Pod" and current is None:
            namespace, account = obj["metadata"]["namespace"], obj["spec"]["serviceAccountName"]
            if ("serviceaccounts", namespace, account) not in self._objects:
                raise ApiError(403, "Forbidden", f'pods "{obj["metadata"]["name"]}" is '
                               f"forbidden: error looking up service account "
                               f'{namespace}/{account}: serviceaccount "{account}" not found',
                               _details(resource, obj["metadata"]["name"]))
        if resource.kind == "Service":
            self._allocate_service(obj, current)

    def _after_create(self, resource: ResourceType, obj: Obj) -> None:
        """The one controller emulated: every new namespace gets its default ServiceAccount."""
        if resource.kind == "Namespace":
            self._create(_BY_PLURAL["serviceaccounts"], obj["metadata"]["name"], {
                "metadata": {"name": "default"}}, dry_run=False)

    def _update(self, resource: ResourceType, namespace: str | None, name: str, body: Any,
                status_only: bool, dry_run: bool) -> Obj:
        obj = self._prepare(resource, namespace, body)
        if obj["metadata"].get("name", name) != name:
            raise _bad_request(f"the name of the object ({obj['metadata']['name']}) does not "
                               f"match the name on the URL ({name})")
        obj["metadata"]["name"] = name
        with self._lock:
            current = self._stored(resource, namespace, name)
            wanted = obj["metadata"].get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                raise _conflict(resource, name, "the object has been modified; please apply "
                                "your changes to the latest version and try again")
            # a uid in the body is a precondition (the kubelet's status patches carry one)
            _check_preconditions(resource, current, {"uid": obj["metadata"].get("uid", "")})
            updated = (_with_status(current, obj) if status_only
                       else self._updated_object(resource, current, obj))
            if updated == current:   # a no-op update keeps the resourceVersion
                return copy.deepcopy(current)
            if not dry_run and _finalized(updated):
                self._remove(resource, updated)
            elif not dry_run:
                self._store(resource, updated, "MODIFIED")
            return copy.deepcopy(updated)

    def _updated_object(self, resource: ResourceType, current: Obj, obj: Obj) -> Obj:
        metadata = obj["metadata"]
        for kept in ("uid", "creationTimestamp", "deletionTimestamp",
                     "deletionGracePeriodSeconds", "generation", "resourceVersion"):
            if kept in current["metadata"]:
                metadata[kept] = current["metadata"][kept]
            else:
                metadata.pop(kept, None)
        if resource.kind in _STATUS_KINDS and "status" in current:
            obj["status"] = copy.deepcopy(current["status"])
        _DEFAULTERS.get(resource.kind, lambda _obj, _creating: None)(obj, False)
        causes = _semantic_causes(obj)
        if (resource.kind == "Pod" and _pod_spec_for_comparison(obj["spec"])
                != _pod_spec_for_comparison(current["spec"])):
            causes.append({"reason": "FieldValueForbidden", "field": "spec", "message":
                           "Forbidden: pod updates may not change fields other than "
                           "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                           "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                           "to existing tolerations)"})
        if causes:
            raise _invalid(resource, metadata["name"], causes)
        self._admit(resource, obj, current)
        if "generation" in metadata and obj.get("spec") != current.get("spec"):
            metadata["generation"] += 1
        return obj

    def _patch(self, resource: ResourceType, namespace: str | None, name: str,
               request: _Request, status_only: bool, dry_run: bool) -> Obj:
        patch = _json_body(request)
        content_type = request.content_type.split(";")[0].strip()
        appliers: dict[str, Callable[[Any, Any], Any]] = {
            "application/json-patch+json": json_patch,
            "application/merge-patch+json": merge_patch,
            "application/strategic-merge-patch+json": strategic_merge}
        if content_type not in appliers:
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an "
                           f"unknown format - accepted media types include: "
                           f"{', '.join(appliers)}")
        with self._lock:   # read-modify-write at once: a patch never conflicts with itself
            current = self._stored(resource, namespace, name)
            try:
                patched = appliers[content_type](current, patch)
            except (KeyError, IndexError, ValueError, TypeError, AttributeError) as error:
                raise _invalid(resource, name, [{"reason": "FieldValueInvalid", "field": "",
                                                 "message": f"patch failed: {error}"}]) from error
            return self._update(resource, namespace, name, patched, status_only, dry_run)

    # ------------------------------------------------------------ delete

    def _delete(self, resource: ResourceType, namespace: str | None, name: str,
                options: _DeleteOptions) -> _Reply:
        with self._lock:
            current = self._stored(resource, namespace, name)
            _check_preconditions(resource, current, options.preconditions)
            if resource.kind == "Namespace":
                result = self._delete_namespace(current, options.dry_run)
            elif resource.kind == "Pod":
                result = self._delete_pod(current, options)
            else:
                result = self._remove_or_finalize(resource, current, options.dry_run)
        if resource.kind in _RETURNS_DELETED or result["metadata"].get("deletionTimestamp"):
            return _Reply(200, result)
        return _Reply(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Success", "details": _details(
                                resource, name, uid=result["metadata"]["uid"])})

    def _delete_pod(self, pod: Obj, options: _DeleteOptions) -> Obj:
        """Unbound or terminal pods go at once, as do grace-0 deletes; a bound pod waits for
        its kubelet, which deletes it with grace 0 once its containers stopped."""
        pods = _BY_PLURAL["pods"]
        grace = options.grace_period_seconds
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        terminal = pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
        if grace == 0 or not pod["spec"].get("nodeName") or terminal:
            return self._remove_or_finalize(pods, pod, options.dry_run)
        if pod["metadata"].get("deletionGracePeriodSeconds", grace + 1) <= grace:
            return copy.deepcopy(pod)   # already terminating at least as fast
        updated = copy.deepcopy(pod)
        deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=grace)
        updated["metadata"]["deletionTimestamp"] = deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
        updated["metadata"]["deletionGracePeriodSeconds"] = grace
        if not options.dry_run:
            self._store(pods, updated, "MODIFIED")
        return copy.deepcopy(updated)

    def _remove_or_finalize(self, resource: ResourceType, obj: Obj, dry_run: bool) -> Obj:
        """Gone now, unless finalizers hold it: then marked for deletion until an update
        removes the last one."""
        if not obj["metadata"].get("finalizers"):
            if not dry_run:
                self._remove(resource, obj)
            return copy.deepcopy(obj)
        marked = copy.deepcopy(obj)
        marked["metadata"].setdefault("deletionTimestamp", _now())
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        if not dry_run and marked != obj:
            self._store(resource, marked, "MODIFIED")
        return copy.deepcopy(marked)

    def _delete_namespace(self, namespace: Obj, dry_run: bool) -> Obj:
        name = namespace["metadata"]["name"]
        if name in _INITIAL_NAMESPACES:
            raise ApiError(403, "Forbidden", f'namespaces "{name}" is forbidden: this '
                           "namespace may not be deleted",
                           _details(_BY_PLURAL["namespaces"], name))
        result = copy.deepcopy(namespace)
        result["metadata"]["deletionTimestamp"] = _now()
        result["status"] = {"phase": "Terminating"}
        if not dry_run:   # at once: no Terminating phase that lasts
            for (plural, ns, _), obj in sorted(self._objects.items()):
                if ns == name:
                    self._remove(_BY_PLURAL[plural], obj)
            self._remove(_BY_PLURAL["namespaces"], namespace)
        return result

    def _delete_collection(self, resource: ResourceType, namespace: str | None,
                           query: dict[str, str], options: _DeleteOptions) -> Obj:
        deleted = []
        with self._lock:
            for obj in self._select(resource, namespace, query):
                metadata = obj["metadata"]
                reply = self._delete(resource, metadata.get("namespace"), metadata["name"],
                                     options)
                deleted.append(reply.body if resource.kind in _RETURNS_DELETED else obj)
            version = str(self._resource_version)
        return {"kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": version}, "items": deleted}

    # ------------------------------------------------------------ pods

    def _bind(self, namespace: str, name: str, body: Any, dry_run: bool) -> _Reply:
        binding = self._prepare(_BINDING, namespace, body)
        pods = _BY_PLURAL["pods"]
        with self._lock:
            pod = copy.deepcopy(self._stored(pods, namespace, name))
            node = pod["spec"].get("nodeName")
            if node:
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on pods/binding '
                               f'"{name}": pod {name} is already assigned to node "{node}"',
                               {"name": name, "kind": "pods/binding"})
            pod["spec"]["nodeName"] = binding["target"]["name"]
            conditions = pod.setdefault("status", {}).setdefault("conditions", [])
            conditions[:] = [c for c in conditions if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True",
                               "lastTransitionTime": _now()})
            if not dry_run:
                self._store(pods, pod, "MODIFIED")
        return _Reply(201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Success", "code": 201})

    def _pod_log(self, namespace: str, name: str, query: dict[str, str]) -> _Reply:
        """Proxied to the kubelet of the pod's node, as the real API server does."""
        with self._lock:
            pod = copy.deepcopy(self._stored(_BY_PLURAL["pods"], namespace, name))
        container = _log_container(pod, query.get("container"))
        node_name = pod["spec"].get("nodeName")
        if not node_name:   # the real server answers an empty log for an unscheduled pod
            return _Reply(200, "", "text/plain")
        waiting = _waiting_reason(pod, container)
        if waiting:
            raise _bad_request(f'container "{container}" in pod "{name}" is waiting to '
                               f"start: {waiting}")
        with self._lock:
            node = copy.deepcopy(self._stored(_BY_PLURAL["nodes"], None, node_name))
        forwarded = {k: v for k, v in query.items()
                     if k in ("tailLines", "limitBytes", "timestamps", "previous",
                              "sinceSeconds", "sinceTime")}
        url = (f"https://{_kubelet_endpoint(node)}/containerLogs/{namespace}/{name}/"
               f"{container}" + (f"?{urllib.parse.urlencode(forwarded)}" if forwarded else ""))
        context = ssl.create_default_context(
            cafile=str(self.kubelet_ca_file) if self.kubelet_ca_file else None)
        try:
            with urllib.request.urlopen(url, context=context, timeout=5) as response:
                return _Reply(200, response.read(), "text/plain")
        except urllib.error.HTTPError as error:
            return _Reply(error.code, error.read(),
                          error.headers.get("Content-Type", "text/plain"))
        except OSError as error:
            raise ApiError(500, "InternalError", f'Get "{url}": {error}') from error

    # ------------------------------------------------------------ service accounts, services

    def _token_request(self, namespace: str, name: str, body: Any) -> Obj:
        """A token that authenticates as system:serviceaccount:{namespace}:{name}."""
        request = self._prepare(_TOKEN_REQUEST, None, body)
        with self._lock:
            self._stored(_BY_PLURAL["serviceaccounts"], namespace, name)
            token = secrets.token_urlsafe(32)
            self._tokens[token] = f"system:serviceaccount:{namespace}:{name}"
        seconds = request.get("spec", {}).get("expirationSeconds") or 3600
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
        request["metadata"] = {"name": name, "namespace": namespace,
                               "creationTimestamp": _now()}
        request["status"] = {"token": token,
                             "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return request

    def _allocate_service(self, service: Obj, current: Obj | None) -> None:
        spec = service["spec"]
        if spec["type"] == "ExternalName":
            return
        old = (current or {}).get("spec", {})
        name = service["metadata"]["name"]
        address = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
        address = address or old.get("clusterIP") or self._free_cluster_ip()
        if old.get("clusterIP") and address != old["clusterIP"]:
            raise _invalid(_BY_PLURAL["services"], name, [{
                "reason": "FieldValueInvalid", "field": "spec.clusterIPs[0]",
                "message": f'Invalid value: ["{address}"]: may not change once set'}])
        if address != "None" and address != old.get("clusterIP"):
            self._check_cluster_ip(name, address)
        spec["clusterIP"], spec["clusterIPs"] = address, [address]
        if spec["type"] in ("NodePort", "LoadBalancer"):
            self._allocate_node_ports(service, old)

    def _services(self, other_than: str) -> list[Obj]:
        return [obj for (plural, ns, name), obj in self._objects.items()
                if plural == "services" and f"{ns}/{name}" != other_than]

    def _free_cluster_ip(self) -> str:
        used = {s["spec"].get("clusterIP") for s in self._services("")}
        network = ipaddress.ip_network(self.service_cidr)
        for host in list(network.hosts())[1:]:   # .1 is the kubernetes Service's by custom
            if str(host) not in used:
                return str(host)
        raise ApiError(500, "InternalError", "failed to allocate a serviceIP: range is full")

    def _check_cluster_ip(self, name: str, address: str) -> None:
        try:
            inside = ipaddress.ip_address(address) in ipaddress.ip_network(self.service_cidr)
        except ValueError:
            inside = False
        why = (f"provided IP is not in the valid range. The range of valid IPs is "
               f"{self.service_cidr}") if not inside else ""
        if inside and any(s["spec"].get("clusterIP") == address for s in self._services("")):
            why = "provided IP is already allocated"
        if why:
            raise _invalid(_BY_PLURAL["services"], name, [{
                "reason": "FieldValueInvalid", "field": "spec.clusterIPs",
                "message": f'Invalid value: ["{address}"]: failed to allocate IP {address}: '
                           f"{why}"}])

    def _allocate_node_ports(self, service: Obj, old: Obj) -> None:
        key = f"{service['metadata']['namespace']}/{service['metadata']['name']}"
        used = {p["nodePort"] for s in self._services(key) for p in s["spec"].get("ports", [])
                if p.get("nodePort")}
        old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                     for p in old.get("ports", [])}
        for index, port in enumerate(service["spec"].get("ports", [])):
            wanted = port.get("nodePort") or old_ports.get((port.get("port"),
                                                            port.get("protocol")))
            if wanted in used:
                raise _invalid(_BY_PLURAL["services"], service["metadata"]["name"], [{
                    "reason": "FieldValueInvalid", "field": f"spec.ports[{index}].nodePort",
                    "message": f"Invalid value: {wanted}: provided port is already allocated"}])
            if not wanted:
                free = sorted(set(range(30000, 32768)) - used)
                wanted = free[secrets.randbelow(len(free))]
            port["nodePort"] = wanted
            used.add(wanted)


# ---------------------------------------------------------------- request helpers

@dataclass(frozen=True)
class _DeleteOptions:
    grace_period_seconds: int | None
    dry_run: bool
    preconditions: dict[str, str]


def _delete_options(request: _Request) -> _DeleteOptions:
    """DeleteOptions from the query and the body (the client sends either); a
    propagationPolicy is accepted and changes nothing, there being no garbage collector."""
    body = _json_body(request) if request.body.strip() else {}
    body = body if isinstance(body, dict) else {}
    grace = request.query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
    return _DeleteOptions(
        _integer("gracePeriodSeconds", grace),
        request.query.get("dryRun") == "All" or "All" in (body.get("dryRun") or []),
        body.get("preconditions") or {})


def _check_preconditions(resource: ResourceType, obj: Obj, preconditions: dict[str, str]) -> None:
    """DeleteOptions.preconditions: the kubelet deletes a pod only if it is still the same."""
    for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        wanted, actual = preconditions.get(key), obj["metadata"].get(key)
        if wanted and wanted != actual:
            raise _conflict(resource, obj["metadata"]["name"], f"Precondition failed: {label} in "
                            f"precondition: {wanted}, {label} in object meta: {actual}")


def _integer(name: str, value: Any) -> int | None:
    """A numeric parameter; one that does not parse is the client's error (400), not ours."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise _bad_request(f'invalid value for "{name}": {value!r}') from error


def _continue_offset(token: str | None) -> int:
    """Where a paginated list resumes: the continue token is the double's own (an offset
    into the list as it is now, not a consistent snapshot as etcd gives)."""
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token))["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise _bad_request(f"continue key is not valid: {error}") from error


def _json_body(request: _Request) -> Any:
    media_type = request.content_type.split(";")[0].strip()
    if media_type and not (media_type.endswith("json") or media_type.endswith("yaml")):
        # protobuf and CBOR (kubectl auth can-i sends protobuf): refused as unsupported
        raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                       "format - accepted media types include: application/json, "
                       "application/yaml")
    try:
        if media_type.endswith("yaml"):
            return yaml.safe_load(request.body)
        return json.loads(request.body or b"null")
    except (ValueError, yaml.YAMLError) as error:
        raise _bad_request(f"couldn't get version/kind; json parse error: {error}") from error


def _missing() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def _method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource", {})


def _parse_target(parts: list[str]) -> _Target:
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _missing()
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    resource = _BY_PLURAL.get(rest[0]) if rest else None
    if (resource is None or (resource.group, resource.version) != (group, version)
            or len(rest) > 3 or (namespace is not None and not resource.namespaced)
            or (namespace is None and resource.namespaced and len(rest) > 1)):
        raise _missing()
    subresource = rest[2] if len(rest) == 3 else None
    if subresource is not None and subresource not in resource.subresources:
        raise _missing()
    return _Target(resource, namespace, rest[1] if len(rest) > 1 else None, subresource)


def _verb(request: _Request, target: _Target) -> str:
    named = target.name is not None
    if request.method == "GET":
        if named:
            return "get"
        return "watch" if request.query.get("watch") in ("true", "1") else "list"
    if request.method == "POST":
        return "create" if not named or target.subresource else "post-to-object"
    if request.method == "DELETE":
        return "delete" if named else "deletecollection"
    verbs = {"PUT": "update", "PATCH": "patch"}
    if request.method in verbs and named:
        return verbs[request.method]
    raise _method_not_allowed()


def _resource_list(group: str, version: str) -> Obj:
    entries: list[Obj] = []
    for resource in RESOURCES:
        if (resource.group, resource.version) != (group, version):
            continue
        entries.append({"name": resource.plural, "singularName": resource.kind.lower(),
                        "namespaced": resource.namespaced, "kind": resource.kind,
                        "verbs": list(resource.verbs), "shortNames": list(resource.short_names)})
        for sub, (kind, verbs) in resource.subresources.items():
            entries.append({"name": f"{resource.plural}/{sub}", "singularName": "",
                            "namespaced": resource.namespaced, "kind": kind,
                            "verbs": list(verbs)})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": entries}


def _matches(allowed: list[str] | None, value: str) -> bool:
    return allowed is not None and ("*" in allowed or value in allowed)


def _rule_allows(rule: dict[str, Any], verb: str, group: str, resource: str,
                 namespace: str | None, name: str | None) -> bool:
    """RBAC PolicyRule matching, plus `namespaces` (absent: every namespace and the cluster
    scope) standing in for where a RoleBinding would bind the rule."""
    resources = rule.get("resources") or []
    base, _, sub = resource.partition("/")
    resource_matches = ("*" in resources or resource in resources
                        or (sub and (f"{base}/*" in resources or f"*/{sub}" in resources)))
    names = rule.get("resourceNames")
    namespaces = rule.get("namespaces")
    return bool(_matches(rule.get("verbs"), verb) and _matches(rule.get("apiGroups"), group)
                and resource_matches and (not names or (name is not None and name in names))
                and (namespaces is None or (namespace is not None
                                            and ("*" in namespaces or namespace in namespaces))))


def _non_resource_allows(rule: dict[str, Any], verb: str, path: str) -> bool:
    urls = rule.get("nonResourceURLs") or []
    return _matches(rule.get("verbs"), verb) and any(
        url == "*" or url == path or (url.endswith("*") and path.startswith(url[:-1]))
        for url in urls)


def _selectable_fields(obj: Obj, resource: ResourceType) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in ("metadata.name", "metadata.namespace", *resource.fields):
        value: Any = obj
        # an Event's `source` field selects on source.component
        for part in (path + ".component" if path == "source" else path).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values[path] = ("true" if value else "false") if isinstance(value, bool) else (
            "" if value is None else str(value))
    return values


def _finalized(obj: Obj) -> bool:
    """Deleted, its grace period over, and the last finalizer gone: time to remove it."""
    metadata = obj["metadata"]
    return bool(metadata.get("deletionTimestamp") and not metadata.get("finalizers")
                and metadata.get("deletionGracePeriodSeconds") == 0)


def _with_status(current: Obj, obj: Obj) -> Obj:
    """A status-subresource write: only the status of `obj` counts."""
    updated = copy.deepcopy(current)
    updated["status"] = copy.deepcopy(obj.get("status", {}))
    return updated


def _log_container(pod: Obj, wanted: str | None) -> str:
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    init_names = [c["name"] for c in pod["spec"].get("initContainers", [])]
    name = pod["metadata"]["name"]
    if wanted is None:
        if len(names) == 1:
            return names[0]
        message = (f"a container name must be specified for pod {name}, choose one of: "
                   f"[{' '.join(names)}]")
        if init_names:
            message += f" or one of the init containers: [{' '.join(init_names)}]"
        raise _bad_request(message)
    if wanted not in names + init_names:
        raise _bad_request(f"container {wanted} is not valid for pod {name}")
    return wanted


def _waiting_reason(pod: Obj, container: str) -> str | None:
    """Why a container has no log yet (the kubelet's answer); None once it started."""
    status = pod.get("status", {})
    statuses = status.get("containerStatuses", []) + status.get("initContainerStatuses", [])
    state: Obj = next((s.get("state", {}) for s in statuses if s.get("name") == container), {})
    if "running" in state or "terminated" in state:
        return None
    return state.get("waiting", {}).get("reason") or "ContainerCreating"


def _kubelet_endpoint(node: Obj) -> str:
    status = node.get("status", {})
    address = next((a["address"] for a in status.get("addresses", [])
                    if a.get("type") == "InternalIP"), None)
    port = status.get("daemonEndpoints", {}).get("kubeletEndpoint", {}).get("Port")
    if not address or not port:
        raise _bad_request(f'node "{node["metadata"]["name"]}" has no InternalIP address or '
                           "kubelet endpoint")
    return f"{address}:{port}"


def _watch_line(kind: str, obj: Obj) -> bytes:
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def _write(handler: BaseHTTPRequestHandler, reply: _Reply) -> None:
    handler.send_response(reply.code)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Cache-Control", "no-cache, private")
    if reply.stream is not None:
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for chunk in reply.stream:
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        return
    body = reply.body
    payload = json.dumps(body).encode() if isinstance(body, dict) else (
        body.encode() if isinstance(body, str) else body)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)
