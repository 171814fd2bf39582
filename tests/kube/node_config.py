"""What the node double's kubelet computes from a pod spec before a container runs: the
environment (env, envFrom, `$(VAR)` expansion) and the volume contents (ConfigMap, Secret,
projected, downwardAPI, emptyDir, hostPath), with the real kubelet's error messages."""

from __future__ import annotations

import base64
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from kubernetes.utils.quantity import parse_quantity

from tests.kube.node_api import Api

POD_IP = "127.0.0.1"
_LABEL_REF = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")


class ConfigError(Exception):
    """A container's configuration refers to something missing: CreateContainerConfigError."""


class MountError(Exception):
    """A volume cannot be set up: the pod stays ContainerCreating (event FailedMount)."""


def pod_hostname(pod: dict) -> str:
    """`spec.hostname` or the pod's name, cut to 63 characters as the kubelet cuts it."""
    name = pod["spec"].get("hostname") or pod["metadata"]["name"]
    return name[:63].rstrip("-.")


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: `$$` escapes, an undefined `$(VAR)` stays as written."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            end = text.find(")", i + 2)
            if nxt == "(" and end != -1:
                name = text[i + 2:end]
                out.append(env.get(name, text[i:end + 1]))
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def field_value(pod: dict, path: str) -> str:
    meta, spec = pod["metadata"], pod["spec"]
    simple = {
        "metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": POD_IP, "status.podIPs": POD_IP,
        "status.hostIP": POD_IP, "status.hostIPs": POD_IP,
    }
    if path in simple:
        return simple[path]
    match = _LABEL_REF.match(path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    if path in ("metadata.labels", "metadata.annotations"):
        items = sorted((meta.get(path.split(".")[1]) or {}).items())
        return "\n".join(f'{k}="{v}"' for k, v in items)
    raise ConfigError(f'unsupported fieldRef "{path}"')


def resource_value(container: dict, ref: dict, allocatable: dict[str, str]) -> str:
    """`resourceFieldRef`: the limit (the node's allocatable when unset) or the request."""
    kind, resource = ref["resource"].split(".", 1)
    resources = container.get("resources") or {}
    quantity = (resources.get(kind) or {}).get(resource)
    if quantity is None:
        quantity = allocatable.get(resource, "0") if kind == "limits" else "0"
    divisor = parse_quantity(ref.get("divisor", "1"))
    return str(math.ceil(parse_quantity(quantity) / divisor))


class SourceCache:
    """Secrets and ConfigMaps read once per sync: a kubelet does not re-read per variable."""

    def __init__(self, api: Api, namespace: str) -> None:
        self.api, self.namespace = api, namespace
        self._seen: dict[tuple[str, str], dict | None] = {}

    def data(self, kind: str, name: str) -> dict[str, bytes] | None:
        key = (kind, name)
        if key not in self._seen:
            read = self.api.secret if kind == "Secret" else self.api.config_map
            self._seen[key] = read(self.namespace, name)
        obj = self._seen[key]
        if obj is None:
            return None
        if kind == "Secret":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        values = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        values.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return values


def _not_found(kind: str, name: str) -> str:
    return f'{kind.lower()} "{name}" not found'


def _key_ref(sources: SourceCache, kind: str, ref: dict) -> str | None:
    data = sources.data(kind, ref["name"])
    optional = ref.get("optional", False)
    if data is None:
        if optional:
            return None
        raise ConfigError(_not_found(kind, ref["name"]))
    if ref["key"] not in data:
        if optional:
            return None
        raise ConfigError(
            f"couldn't find key {ref['key']} in {kind} {sources.namespace}/{ref['name']}")
    return data[ref["key"]].decode(errors="replace")


def build_env(sources: SourceCache, pod: dict, container: dict,
              allocatable: dict[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if field not in source:
                continue
            ref = source[field]
            data = sources.data(kind, ref["name"])
            if data is None:
                if ref.get("optional", False):
                    continue
                raise ConfigError(_not_found(kind, ref["name"]))
            env.update({prefix + k: v.decode(errors="replace") for k, v in data.items()})
    for var in container.get("env") or []:
        value = _env_value(sources, pod, container, var, env, allocatable)
        if value is not None:
            env[var["name"]] = value
    return env


def _env_value(sources: SourceCache, pod: dict, container: dict, var: dict,
               env: dict[str, str], allocatable: dict[str, str]) -> str | None:
    source = var.get("valueFrom")
    if not source:
        return expand(var.get("value", ""), env)
    if "secretKeyRef" in source:
        return _key_ref(sources, "Secret", source["secretKeyRef"])
    if "configMapKeyRef" in source:
        return _key_ref(sources, "ConfigMap", source["configMapKeyRef"])
    if "fieldRef" in source:
        return field_value(pod, source["fieldRef"]["fieldPath"])
    if "resourceFieldRef" in source:
        return resource_value(container, source["resourceFieldRef"], allocatable)
    raise ConfigError(f"unsupported valueFrom for {var['name']}")


def _write(folder: Path, relative: str, content: bytes, mode: int) -> None:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    os.chmod(target, mode)


def _keyed(folder: Path, data: dict[str, bytes], items: list[dict] | None,
           default_mode: int, what: str) -> None:
    """The files of a ConfigMap or Secret volume: every key, or just `items` (key → path)."""
    if not items:
        for key, content in data.items():
            _write(folder, key, content, default_mode)
        return
    for item in items:
        if item["key"] not in data:
            raise MountError(f"configmap references non-existent config key: {item['key']}"
                             if what == "ConfigMap" else
                             f"references non-existent secret key: {item['key']}")
        _write(folder, item["path"], data[item["key"]], item.get("mode", default_mode))


def set_ownership(folder: Path, fs_group: int, *, writable: bool) -> None:
    """The kubelet's fsGroup ownership: everything group-owned by fsGroup, group-readable
    (and writable for a writable volume), directories setgid so new files inherit the group."""
    file_bits = stat.S_IRGRP | (stat.S_IWGRP if writable else 0)
    dir_bits = file_bits | stat.S_IXGRP | stat.S_ISGID
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, -1, fs_group, follow_symlinks=False)
        mode = stat.S_IMODE(path.lstat().st_mode)
        path.chmod(mode | (dir_bits if path.is_dir() else file_bits))


class VolumeBuilder:
    """Writes each volume's content into a folder of the pod's own (as the kubelet's
    /var/lib/kubelet/pods/UID/volumes), which the sandbox then binds at the mount paths."""

    def __init__(self, sources: SourceCache, pod: dict, folder: Path, *, token: str,
                 ca_pem: bytes) -> None:
        self.sources, self.pod, self.folder = sources, pod, folder
        self.token, self.ca_pem = token, ca_pem

    def build(self, volume: dict) -> Path:
        name = volume["name"]
        if "hostPath" in volume:
            return Path(volume["hostPath"]["path"])
        folder = self.folder / name
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o777 if "emptyDir" in volume else 0o755)
        try:
            self._fill(volume, folder)
        except MountError as exc:
            raise MountError(f'MountVolume.SetUp failed for volume "{name}" : {exc}') from exc
        fs_group = (self.pod["spec"].get("securityContext") or {}).get("fsGroup")
        if fs_group is not None:
            set_ownership(folder, fs_group, writable="emptyDir" in volume)
        return folder

    def _fill(self, volume: dict, folder: Path) -> None:
        if "emptyDir" in volume:
            return
        if "configMap" in volume:
            self._source(folder, "ConfigMap", volume["configMap"], volume["configMap"]["name"])
        elif "secret" in volume:
            self._source(folder, "Secret", volume["secret"], volume["secret"]["secretName"])
        elif "downwardAPI" in volume:
            self._downward(folder, volume["downwardAPI"])
        elif "projected" in volume:
            self._projected(folder, volume["projected"])
        else:
            kinds = sorted(set(volume) - {"name"})
            raise MountError(f"volume type {kinds} is not emulated by the node double")

    def _source(self, folder: Path, kind: str, spec: dict, name: str,
                default_mode: int | None = None) -> None:
        mode = spec.get("defaultMode", default_mode if default_mode is not None else 0o644)
        data = self.sources.data(kind, name)
        if data is None and kind == "ConfigMap" and name == "kube-root-ca.crt":
            # What kube-controller-manager publishes in every namespace: the cluster's CA.
            data = {"ca.crt": self.ca_pem}
        if data is None:
            if spec.get("optional", False):
                return
            raise MountError(_not_found(kind, name))
        _keyed(folder, data, spec.get("items"), mode, kind)

    def _downward(self, folder: Path, spec: dict, default_mode: int | None = None) -> None:
        mode = spec.get("defaultMode", default_mode if default_mode is not None else 0o644)
        for item in spec.get("items") or []:
            if "fieldRef" not in item:
                raise MountError("downwardAPI resourceFieldRef items are not emulated")
            value = field_value(self.pod, item["fieldRef"]["fieldPath"])
            _write(folder, item["path"], value.encode(), item.get("mode", mode))

    def _projected(self, folder: Path, spec: dict) -> None:
        mode = spec.get("defaultMode", 0o644)
        for source in spec.get("sources") or []:
            if "configMap" in source:
                self._source(folder, "ConfigMap", source["configMap"],
                             source["configMap"]["name"], mode)
            elif "secret" in source:
                self._source(folder, "Secret", source["secret"], source["secret"]["name"], mode)
            elif "downwardAPI" in source:
                self._downward(folder, source["downwardAPI"], mode)
            elif "serviceAccountToken" in source:
                _write(folder, source["serviceAccountToken"]["path"], self.token.encode(), mode)
            else:
                raise MountError(f"projected source {sorted(source)} is not emulated")


def service_account_files(folder: Path, *, token: str, ca_pem: bytes, namespace: str) -> Path:
    """What the ServiceAccount admission's kube-api-access volume holds."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (("token", token.encode()), ("ca.crt", ca_pem),
                          ("namespace", namespace.encode())):
        _write(folder, name, content, 0o644)
    return folder


def requests_of(pod: dict) -> dict[str, float]:
    """The pod's effective requests as the scheduler sums them: containers added, each init
    container alone (they run one by one), the larger of the two per resource."""
    def of(containers: list[dict[str, Any]]) -> list[dict[str, float]]:
        return [{k: float(parse_quantity(v)) for k, v in
                 ((c.get("resources") or {}).get("requests") or {}).items()} for c in containers]

    total: dict[str, float] = {}
    for requests in of(pod["spec"].get("containers") or []):
        for key, value in requests.items():
            total[key] = total.get(key, 0.0) + value
    for requests in of(pod["spec"].get("initContainers") or []):
        for key, value in requests.items():
            total[key] = max(total.get(key, 0.0), value)
    return total
