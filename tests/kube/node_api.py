"""The node double's only way to the API server: the official `kubernetes` client, loaded from a
kubeconfig as a kubelet would, with retries off and short timeouts, answering plain dicts."""

from __future__ import annotations

import datetime
import json
import logging
import secrets
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

log = logging.getLogger(__name__)
TIMEOUT = 5.0
STRATEGIC = "application/strategic-merge-patch+json"
# What a call can fail with: an answer, or none (with retries off urllib3 raises its own).
API_ERRORS = (ApiException, OSError, urllib3.exceptions.HTTPError)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(response: Any) -> dict:
    return json.loads(response.data) if response.data else {}


class Api:
    def __init__(self, kubeconfig: Path) -> None:
        cfg = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
        cfg.retries = False  # a kubelet retries on its next sync, not inside one call
        self.configuration = cfg
        self.core = client.CoreV1Api(client.ApiClient(cfg))

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict:
        response = getattr(self.core, method)(
            *args, _preload_content=False, _request_timeout=TIMEOUT, **kwargs)
        return _json(response)

    def pods(self) -> list[dict]:
        return self._call("list_pod_for_all_namespaces")["items"]

    def services(self) -> list[dict]:
        return self._call("list_service_for_all_namespaces")["items"]

    def endpoints(self) -> list[dict]:
        return self._call("list_endpoints_for_all_namespaces")["items"]

    def secret(self, namespace: str, name: str) -> dict | None:
        return self._get("read_namespaced_secret", name, namespace)

    def config_map(self, namespace: str, name: str) -> dict | None:
        return self._get("read_namespaced_config_map", name, namespace)

    def _get(self, method: str, name: str, namespace: str) -> dict | None:
        try:
            return self._call(method, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def bind(self, pod: dict, node: str) -> None:
        meta = pod["metadata"]
        body = client.V1Binding.from_dict({
            "apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}})
        self._call("create_namespaced_pod_binding", meta["name"], meta["namespace"], body)

    def patch_pod_status(self, pod: dict, status: dict) -> None:
        meta = pod["metadata"]
        self._call("patch_namespaced_pod_status", meta["name"], meta["namespace"],
                   {"status": status}, _content_type=STRATEGIC)

    def delete_pod_now(self, pod: dict) -> None:
        meta = pod["metadata"]
        body = client.V1DeleteOptions(grace_period_seconds=0,
                                      preconditions=client.V1Preconditions(uid=meta["uid"]))
        try:
            self._call("delete_namespaced_pod", meta["name"], meta["namespace"],
                       grace_period_seconds=0, body=body)
        except ApiException as exc:
            if exc.status not in (404, 409):  # gone already, or a new pod of the same name
                raise

    def register_node(self, node: dict) -> None:
        try:
            self._call("create_node", client.V1Node.from_dict(node))
        except ApiException as exc:
            if exc.status != 409:
                raise
            self._call("patch_node", node["metadata"]["name"],
                       {"metadata": node["metadata"], "spec": node["spec"]},
                       _content_type=STRATEGIC)
        self.patch_node_status(node["metadata"]["name"], node["status"])

    def patch_node_status(self, name: str, status: dict) -> None:
        self._call("patch_node_status", name, {"status": status}, _content_type=STRATEGIC)

    def delete_node(self, name: str) -> None:
        try:
            self._call("delete_node", name)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def token(self, namespace: str, service_account: str, pod: dict) -> str | None:
        """A bound token from the TokenRequest API, or None where it is not offered."""
        body = client.AuthenticationV1TokenRequest.from_dict({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"audiences": [], "expirationSeconds": 3600, "boundObjectRef": {
                "apiVersion": "v1", "kind": "Pod", "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"]}}})
        try:
            answer = self._call("create_namespaced_service_account_token",
                                service_account, namespace, body)
        except ApiException:
            return None
        return answer.get("status", {}).get("token")

    def event(self, pod: dict, reason: str, message: str, node: str, *,
              warning: bool = False, container: str | None = None,
              component: str = "kubelet") -> None:
        """Best effort, as a kubelet's events are: a failure is logged, not raised."""
        meta = pod["metadata"]
        involved = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"],
                    "namespace": meta["namespace"], "uid": meta["uid"]}
        if container:
            involved["fieldPath"] = f"spec.containers{{{container}}}"
        stamp = now()
        body = client.CoreV1Event.from_dict({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}",
                         "namespace": meta["namespace"]},
            "involvedObject": involved, "reason": reason, "message": message,
            "type": "Warning" if warning else "Normal", "count": 1,
            "firstTimestamp": stamp, "lastTimestamp": stamp,
            "source": {"component": component, "host": node},
            "reportingComponent": component, "reportingInstance": node})
        try:
            self._call("create_namespaced_event", meta["namespace"], body)
        except API_ERRORS as exc:
            log.warning("event %s for %s not posted: %s", reason, meta["name"], exc)
