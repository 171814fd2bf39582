"""The Kubernetes API server double, driven only through the official `kubernetes` client
configured from the kubeconfig the double writes, as a user or a kubelet would."""

from __future__ import annotations

import ipaddress
import itertools
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from kubernetes import client, config, dynamic, watch
from kubernetes.client import ApiException

from tests.kube.apiserver import ADMIN_TOKEN, ApiError, ApiServer
from tests.kube.pki import CertificateAuthority

# The typed client's signatures want models (V1Pod...) and make every field Optional; at run
# time its pydantic validation takes the plain manifests these tests send: the APIs are Any here.
ApisApi: Any = client.ApisApi
AppsV1Api: Any = client.AppsV1Api
AuthorizationV1Api: Any = client.AuthorizationV1Api
CoordinationV1Api: Any = client.CoordinationV1Api
CoreApi: Any = client.CoreApi
CoreV1Api: Any = client.CoreV1Api
NetworkingV1Api: Any = client.NetworkingV1Api
VersionApi: Any = client.VersionApi

_names = itertools.count()


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}], **spec}}


class _KubeletStub(BaseHTTPRequestHandler):
    """Serves /containerLogs/... as a kubelet does; remembers what it was asked."""
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _KubeletStub.asked.append(self.path)
        body = b"line 1\nline 2\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def kubelet_ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("kubelet-pki"))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory,
        kubelet_ca: CertificateAuthority) -> Iterator[ApiServer]:
    with ApiServer(tmp_path_factory.mktemp("apiserver"),
                   kubelet_ca_file=kubelet_ca.ca_file) as server:
        yield server


def _client(api: ApiServer, folder: Path, token: str = ADMIN_TOKEN) -> client.ApiClient:
    path = api.kubeconfig(folder / f"kubeconfig-{next(_names)}", token=token, context="double")
    return config.new_client_from_config(config_file=str(path), context="double")


@pytest.fixture(scope="module")
def admin(api: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> client.ApiClient:
    return _client(api, tmp_path_factory.mktemp("admin"))


@pytest.fixture
def core(admin: client.ApiClient) -> client.CoreV1Api:
    return CoreV1Api(admin)


@pytest.fixture
def ns(core: Any) -> str:
    """A fresh namespace per test: the module shares one server."""
    name = f"t{next(_names)}"
    core.create_namespace({"metadata": {"name": name}})
    return name


def _status(error: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.body or "")
    assert body["kind"] == "Status"
    assert body["code"] == error.status
    return body


def _refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ApiException) as caught:
        call(*args, **kwargs)
    return _status(caught.value)


# ---------------------------------------------------------------- discovery


def test_version_and_discovery(admin: client.ApiClient) -> None:
    assert VersionApi(admin).get_code().git_version == "v1.37.0"
    assert CoreApi(admin).get_api_versions().versions == ["v1"]
    groups = {g.name for g in ApisApi(admin).get_api_versions().groups}
    assert {"apps", "networking.k8s.io", "authorization.k8s.io"} <= groups
    core = {r.name: r for r in CoreV1Api(admin).get_api_resources().resources}
    assert core["pods"].namespaced
    assert core["pods"].kind == "Pod"
    assert not core["nodes"].namespaced
    assert {"pods/log", "pods/status", "pods/binding"} <= set(core)
    assert "deletecollection" in core["pods"].verbs
    apps = {r.name: r for r in AppsV1Api(admin).get_api_resources().resources}
    assert apps["deployments"].kind == "Deployment"
    assert "deployments/status" in apps


def test_dynamic_client_discovers_every_kind(admin: client.ApiClient) -> None:
    resources = dynamic.DynamicClient(admin).resources
    for api_version, kind in (("v1", "Pod"), ("apps/v1", "Deployment"),
                              ("networking.k8s.io/v1", "Ingress"), ("v1", "Namespace")):
        assert resources.get(api_version=api_version, kind=kind).kind == kind


# ---------------------------------------------------------------- pods


def test_pod_lifecycle_and_defaults(core: Any, ns: str) -> None:
    created = core.create_namespaced_pod(ns, _pod("web"))
    assert created.kind == "Pod"
    assert created.api_version == "v1"
    assert created.metadata.namespace == ns
    assert created.metadata.uid
    assert created.metadata.generation == 1
    assert created.metadata.creation_timestamp
    assert created.status.phase == "Pending"
    spec = created.spec
    assert (spec.restart_policy, spec.dns_policy, spec.scheduler_name) == (
        "Always", "ClusterFirst", "default-scheduler")
    assert spec.termination_grace_period_seconds == 30
    assert spec.service_account_name == "default"
    container = spec.containers[0]
    assert container.image_pull_policy == "IfNotPresent"
    assert container.termination_message_path == "/dev/termination-log"

    created.spec.containers[0].image = "busybox:1.37"
    replaced = core.replace_namespaced_pod("web", ns, created)
    assert replaced.spec.containers[0].image == "busybox:1.37"
    assert replaced.metadata.generation == 2
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)

    patched = core.patch_namespaced_pod("web", ns, {"metadata": {"labels": {"tier": "web"}}})
    assert patched.metadata.labels == {"tier": "web"}
    assert patched.metadata.generation == 2
    assert [p.metadata.name for p in core.list_namespaced_pod(ns).items] == ["web"]

    core.delete_namespaced_pod("web", ns)   # never bound to a node: gone at once
    assert _refused(core.read_namespaced_pod, "web", ns)["reason"] == "NotFound"


def test_latest_images_are_always_pulled(core: Any, ns: str) -> None:
    pod = _pod("p")
    pod["spec"]["containers"] = [{"name": "a", "image": "busybox"},
                                 {"name": "b", "image": "registry:5000/busybox:latest"}]
    created = core.create_namespaced_pod(ns, pod)
    assert [c.image_pull_policy for c in created.spec.containers] == ["Always", "Always"]


def test_strategic_merge_patch_merges_containers_and_env_by_name(
        admin: client.ApiClient, ns: str) -> None:
    apps = AppsV1Api(admin)
    deployment = json.loads(json.dumps(_MANIFESTS[3]))
    deployment["spec"]["template"]["spec"]["containers"] = [
        {"name": "a", "image": "busybox:1", "env": [{"name": "X", "value": "1"}]},
        {"name": "b", "image": "busybox:1"}]
    apps.create_namespaced_deployment(ns, deployment)
    patched = apps.patch_namespaced_deployment("dep", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "a", "image": "busybox:2",
                        "env": [{"name": "Y", "value": "2"}]}]}}}})
    containers = patched.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("a", "busybox:2"), ("b", "busybox:1")]
    assert [(e.name, e.value) for e in containers[0].env] == [("X", "1"), ("Y", "2")]
    removed = apps.patch_namespaced_deployment("dep", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "b", "$patch": "delete"}]}}}})
    assert [c.name for c in removed.spec.template.spec.containers] == ["a"]


def test_json_patch_and_merge_patch(core: Any, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}, "data": {"a": "1"}})
    patched = core.patch_namespaced_config_map("cm", ns, [
        {"op": "add", "path": "/data/b", "value": "2"},
        {"op": "remove", "path": "/data/a"}])
    assert patched.data == {"b": "2"}
    merged = core.patch_namespaced_config_map(
        "cm", ns, {"data": {"b": None, "c": "3"}},
        _content_type="application/merge-patch+json")
    assert merged.data == {"c": "3"}
    failed = _refused(core.patch_namespaced_config_map, "cm", ns,
                      [{"op": "test", "path": "/data/c", "value": "nope"}])
    assert failed["code"] == 422
    assert core.read_namespaced_config_map("cm", ns).data == {"c": "3"}


def test_server_side_apply_is_refused_as_unsupported(core: Any, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}})
    status = _refused(core.patch_namespaced_config_map, "cm", ns, {"data": {"a": "1"}},
                      field_manager="me", _content_type="application/apply-patch+yaml")
    assert (status["code"], status["reason"]) == (415, "UnsupportedMediaType")


def test_pod_spec_is_immutable_but_images(core: Any, ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("p"))
    status = _refused(core.patch_namespaced_pod, "p", ns, {"spec": {"restartPolicy": "Never"}})
    assert status["reason"] == "Invalid"
    assert "pod updates may not change fields" in status["message"]
    assert status["details"]["causes"][0]["field"] == "spec"


def test_stale_resource_version_conflicts(core: Any, ns: str) -> None:
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}})
    core.patch_namespaced_config_map("cm", ns, {"data": {"a": "1"}})
    created.data = {"a": "2"}
    status = _refused(core.replace_namespaced_config_map, "cm", ns, created)
    assert (status["code"], status["reason"]) == (409, "Conflict")
    assert status["message"] == ('Operation cannot be fulfilled on configmaps "cm": the object '
                                 "has been modified; please apply your changes to the latest "
                                 "version and try again")


# ---------------------------------------------------------------- other kinds, generically

_MANIFESTS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
     "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"},
     "stringData": {"password": "hunter2"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dep"},
     "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {
         "metadata": {"labels": {"app": "x"}},
         "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
     "spec": {"podSelector": {}}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
     "spec": {"rules": [{"host": "x.example", "http": {"paths": [{
         "path": "/", "pathType": "Prefix",
         "backend": {"service": {"name": "svc", "port": {"number": 80}}}}]}}]}},
]


@pytest.mark.parametrize("manifest", _MANIFESTS, ids=lambda m: m["kind"])
def test_create_get_list_patch_replace_delete(admin: client.ApiClient, ns: str,
                                              manifest: dict[str, Any]) -> None:
    resource = dynamic.DynamicClient(admin).resources.get(
        api_version=manifest["apiVersion"], kind=manifest["kind"])
    name = manifest["metadata"]["name"]
    created = resource.create(body=manifest, namespace=ns)
    assert (created.kind, created.metadata.namespace) == (manifest["kind"], ns)
    assert resource.get(name=name, namespace=ns).metadata.uid == created.metadata.uid
    assert [i.metadata.name for i in resource.get(namespace=ns).items] == [name]
    patched = resource.patch(name=name, namespace=ns, body={"metadata": {"labels": {"p": "1"}}})
    body = patched.to_dict()
    assert body["metadata"]["labels"] == {"p": "1"}
    body["metadata"]["annotations"] = {"replaced": "yes"}
    replaced = resource.replace(body=body, namespace=ns)
    assert replaced.to_dict()["metadata"]["annotations"] == {"replaced": "yes"}
    assert int(replaced.metadata.resourceVersion) > int(patched.metadata.resourceVersion)
    resource.delete(name=name, namespace=ns)
    with pytest.raises(dynamic.exceptions.NotFoundError):
        resource.get(name=name, namespace=ns)


def test_server_defaults_of_other_kinds(admin: client.ApiClient, ns: str) -> None:
    core, apps = CoreV1Api(admin), AppsV1Api(admin)
    secret = core.create_namespaced_secret(ns, _MANIFESTS[1])
    assert secret.type == "Opaque"
    assert secret.data == {"password": "aHVudGVyMg=="}
    assert secret.string_data is None
    deployment = apps.create_namespaced_deployment(ns, _MANIFESTS[3])
    assert deployment.spec.replicas == 1
    assert deployment.spec.strategy.type == "RollingUpdate"
    assert deployment.spec.template.spec.restart_policy == "Always"
    policy = NetworkingV1Api(admin).create_namespaced_network_policy(ns, _MANIFESTS[4])
    assert policy.spec.policy_types == ["Ingress"]
    namespace = core.read_namespace(ns)
    assert namespace.status.phase == "Active"
    assert namespace.metadata.labels == {"kubernetes.io/metadata.name": ns}


def test_deployment_status_subresource(admin: client.ApiClient, ns: str) -> None:
    apps = AppsV1Api(admin)
    apps.create_namespaced_deployment(ns, _MANIFESTS[3])
    apps.patch_namespaced_deployment_status("dep", ns, {"status": {"replicas": 1,
                                                                   "readyReplicas": 1}})
    apps.patch_namespaced_deployment("dep", ns, {"status": {"readyReplicas": 7},
                                                 "spec": {"replicas": 2}})
    read = apps.read_namespaced_deployment_status("dep", ns)
    assert (read.status.ready_replicas, read.spec.replicas) == (1, 2)
    assert read.metadata.generation == 2


def test_deployment_selector_must_match_template(admin: client.ApiClient, ns: str) -> None:
    manifest = json.loads(json.dumps(_MANIFESTS[3]))
    manifest["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    status = _refused(AppsV1Api(admin).create_namespaced_deployment, ns, manifest)
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "spec.template.metadata.labels"


# ---------------------------------------------------------------- selectors, names, errors


@pytest.fixture
def labelled(core: Any, ns: str) -> str:
    for name, labels in (("a", {"app": "web", "tier": "front"}), ("b", {"app": "db"}),
                         ("c", {"app": "web", "canary": "true"}), ("d", {})):
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})
    return ns


@pytest.mark.parametrize(("selector", "names"), [
    ("app=web", ["a", "c"]), ("app==db", ["b"]), ("app!=web", ["b", "d"]),
    ("app in (db, web)", ["a", "b", "c"]), ("app notin (web)", ["b", "d"]),
    ("canary", ["c"]), ("!canary", ["a", "b", "d"]), ("app=web,!canary", ["a"]),
    ("app in (web),tier=front", ["a"]), ("", ["a", "b", "c", "d"])])
def test_label_selectors(core: Any, labelled: str, selector: str,
                         names: list[str]) -> None:
    items = core.list_namespaced_config_map(labelled, label_selector=selector).items
    assert [i.metadata.name for i in items] == names


def test_lists_paginate_with_limit_and_continue(core: Any, labelled: str) -> None:
    first = core.list_namespaced_config_map(labelled, limit=3)
    assert [i.metadata.name for i in first.items] == ["a", "b", "c"]
    assert first.metadata.remaining_item_count == 1
    rest = core.list_namespaced_config_map(labelled, limit=3, _continue=first.metadata._continue)
    assert [i.metadata.name for i in rest.items] == ["d"]
    assert rest.metadata._continue is None


def test_malformed_selectors_are_bad_requests(core: Any, labelled: str) -> None:
    assert _refused(core.list_namespaced_config_map, labelled,
                    label_selector="app in web")["reason"] == "BadRequest"
    status = _refused(core.list_namespaced_pod, labelled, field_selector="spec.bogus=x")
    assert status["message"] == "field label not supported: spec.bogus"


def test_field_selectors(api: ApiServer, core: Any, ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("on-n1", nodeName="n1"))
    core.create_namespaced_pod(ns, _pod("on-n2", nodeName="n2"))
    core.create_namespaced_pod(ns, _pod("unbound"))
    core.patch_namespaced_pod_status("on-n1", ns, {"status": {"phase": "Running"}})

    def names(selector: str) -> list[str]:
        items = core.list_pod_for_all_namespaces(field_selector=selector).items
        return [p.metadata.name for p in items if p.metadata.namespace == ns]

    assert names("spec.nodeName=n1") == ["on-n1"]
    assert names("spec.nodeName==n2") == ["on-n2"]
    assert names("spec.nodeName=") == ["unbound"]
    assert names("spec.nodeName!=n1") == ["on-n2", "unbound"]
    assert names("status.phase=Running") == ["on-n1"]
    assert names("status.phase!=Running,metadata.name!=unbound") == ["on-n2"]
    assert names(f"metadata.namespace={ns},metadata.name=unbound") == ["unbound"]
    assert names("metadata.namespace=elsewhere") == []


def test_generate_name(core: Any, ns: str) -> None:
    first = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "job-"}})
    second = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "job-"}})
    assert first.metadata.name.startswith("job-")
    assert len(first.metadata.name) == 9
    assert first.metadata.name != second.metadata.name
    status = _refused(core.create_namespaced_config_map, ns, {"metadata": {}})
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_already_exists_not_found_and_missing_namespace(admin: client.ApiClient,
                                                        ns: str) -> None:
    core, apps = CoreV1Api(admin), AppsV1Api(admin)
    core.create_namespaced_pod(ns, _pod("p"))
    exists = _refused(core.create_namespaced_pod, ns, _pod("p"))
    assert (exists["code"], exists["reason"], exists["message"]) == (
        409, "AlreadyExists", 'pods "p" already exists')
    assert exists["details"] == {"name": "p", "kind": "pods"}
    missing = _refused(apps.read_namespaced_deployment, "nope", ns)
    assert (missing["code"], missing["message"]) == (404, 'deployments.apps "nope" not found')
    assert missing["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}
    no_namespace = _refused(core.create_namespaced_pod, "ghost", _pod("p"))
    assert (no_namespace["code"], no_namespace["message"]) == (
        404, 'namespaces "ghost" not found')


def test_body_namespace_must_match_the_url(core: Any, ns: str) -> None:
    pod = _pod("p")
    pod["metadata"]["namespace"] = "default"
    status = _refused(core.create_namespaced_pod, ns, pod)
    assert (status["code"], status["reason"]) == (400, "BadRequest")
    assert "does not match the namespace sent on the request" in status["message"]


def test_invalid_names_and_labels_are_refused(core: Any, ns: str) -> None:
    status = _refused(core.create_namespaced_config_map, ns, {"metadata": {"name": "Bad_Name"}})
    assert status["reason"] == "Invalid"
    assert status["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name:')
    labels = _refused(core.create_namespaced_config_map, ns, {
        "metadata": {"name": "cm", "labels": {"ok.example/k": "v", "k": "bad value"}}})
    assert labels["message"].startswith('ConfigMap "cm" is invalid: metadata.labels: Invalid '
                                        'value: "bad value": a valid label must be')


# ---------------------------------------------------------------- schema validation


@pytest.fixture
def pods(admin: client.ApiClient) -> Any:
    """The dynamic client sends bodies as given: the typed API refuses unknown fields
    client-side (its pydantic models forbid extras), so it cannot test the server."""
    return dynamic.DynamicClient(admin).resources.get(api_version="v1", kind="Pod")


def _dynamic_refusal(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(dynamic.exceptions.DynamicApiError) as caught:
        call(**kwargs)
    body: dict[str, Any] = json.loads(caught.value.body or "")
    assert body["code"] == caught.value.status
    return body


def test_unknown_fields_are_refused_like_a_strict_server(pods: Any, ns: str) -> None:
    pod = _pod("p")
    pod["spec"]["containers"][0]["bogus"] = True
    status = _dynamic_refusal(pods.create, body=pod, namespace=ns)
    assert (status["code"], status["reason"]) == (400, "BadRequest")
    assert status["message"] == ('Pod in version "v1" cannot be handled as a Pod: strict '
                                 'decoding error: unknown field "spec.containers[0].bogus"')


def test_a_misspelled_field_proves_validation_runs(pods: Any, ns: str) -> None:
    pod = _pod("p")
    pod["spec"]["contaners"] = pod["spec"].pop("containers")
    status = _dynamic_refusal(pods.create, body=pod, namespace=ns)
    assert 'unknown field "spec.contaners"' in status["message"]


def test_wrong_types_and_missing_fields(pods: Any, ns: str) -> None:
    pod = _pod("p")
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": "eighty"}]
    wrong = _dynamic_refusal(pods.create, body=pod, namespace=ns)
    assert wrong["code"] == 400
    assert "spec.containers[0].ports[0].containerPort" in wrong["message"]
    missing = _dynamic_refusal(pods.create, body={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
        namespace=ns)
    assert (missing["code"], missing["reason"]) == (422, "Invalid")
    assert missing["details"]["causes"] == [{"reason": "FieldValueRequired",
                                             "message": "Required value",
                                             "field": "spec.containers"}]


def test_patches_are_validated_too(pods: Any, ns: str) -> None:
    pods.create(body=_pod("p"), namespace=ns)
    status = _dynamic_refusal(pods.patch, name="p", namespace=ns,
                              body={"metadata": {"labelz": {"a": "b"}}})
    assert 'unknown field "metadata.labelz"' in status["message"]


def test_a_valid_manifest_is_accepted_whole(pods: Any, ns: str) -> None:
    pod = _pod("full", volumes=[{"name": "data", "emptyDir": {}}])
    pod["spec"]["containers"][0].update({
        "command": ["sh", "-c", "sleep 1"], "env": [{"name": "A", "value": "1"}],
        "ports": [{"containerPort": 8080, "name": "http"}],
        "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}}})
    created = pods.create(body=pod, namespace=ns)
    assert created.spec.containers[0].ports[0].protocol == "TCP"
    assert created.status.qosClass == "Guaranteed"


# ---------------------------------------------------------------- dry run


def test_dry_run_stores_nothing(api: ApiServer, core: Any, ns: str) -> None:
    created = core.create_namespaced_pod(ns, _pod("dry"), dry_run="All")
    assert created.metadata.name == "dry"
    assert created.status.phase == "Pending"
    assert api.objects("pods", ns) == []
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}, "data": {"a": "1"}})
    patched = core.patch_namespaced_config_map("cm", ns, {"data": {"a": "2"}}, dry_run="All")
    assert patched.data == {"a": "2"}
    core.delete_namespaced_config_map("cm", ns, dry_run="All")
    assert [o["data"] for o in api.objects("configmaps", ns)] == [{"a": "1"}]


# ---------------------------------------------------------------- what a kubelet relies on


def _bind(core: Any, ns: str, pod: str, node: str) -> int:
    """POST pods/{name}/binding. The real server answers a Status there, which the typed
    client cannot turn into the V1Binding it expects: read the raw response."""
    response = core.create_namespaced_pod_binding(
        pod, ns, {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod},
                  "target": {"apiVersion": "v1", "kind": "Node", "name": node}},
        _preload_content=False)
    assert json.loads(response.data)["status"] == "Success"
    return int(response.status)


def test_binding_sets_the_node_once(core: Any, ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("p"))
    assert _bind(core, ns, "p", "node-1") == 201
    pod = core.read_namespaced_pod("p", ns)
    assert pod.spec.node_name == "node-1"
    assert [(c.type, c.status) for c in pod.status.conditions] == [("PodScheduled", "True")]
    status = _refused(_bind, core, ns, "p", "node-2")
    assert (status["code"], status["reason"]) == (409, "Conflict")
    assert status["message"].endswith('pod p is already assigned to node "node-1"')


def test_status_subresource_is_isolated(core: Any, ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("p"))
    core.patch_namespaced_pod_status("p", ns, {
        "status": {"phase": "Running", "podIP": "127.0.0.5"},
        "metadata": {"labels": {"ignored": "yes"}}})
    core.patch_namespaced_pod("p", ns, {"status": {"phase": "Failed"},
                                        "metadata": {"labels": {"kept": "yes"}}})
    pod = core.read_namespaced_pod_status("p", ns)
    assert (pod.status.phase, pod.status.pod_ip) == ("Running", "127.0.0.5")
    assert pod.metadata.labels == {"kept": "yes"}
    pod.status.phase = "Succeeded"
    assert core.replace_namespaced_pod_status("p", ns, pod).status.phase == "Succeeded"


def test_status_patches_merge_conditions_by_type(core: Any, ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("p"))
    _bind(core, ns, "p", "node-1")
    core.patch_namespaced_pod_status("p", ns, {"status": {"conditions": [
        {"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]}})
    core.patch_namespaced_pod_status("p", ns, {"status": {"conditions": [
        {"type": "Ready", "status": "True"}]}})
    conditions = core.read_namespaced_pod_status("p", ns).status.conditions
    assert [(c.type, c.status) for c in conditions] == [
        ("PodScheduled", "True"), ("Ready", "True"), ("Initialized", "True")]


def test_node_status_subresource(core: Any) -> None:
    core.create_node({"metadata": {"name": "status-node", "labels": {"role": "worker"}}})
    core.patch_node_status("status-node", {"status": {
        "conditions": [{"type": "Ready", "status": "True"}],
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}})
    core.patch_node("status-node", {"status": {"conditions": [
        {"type": "Ready", "status": "False"}]}, "spec": {"unschedulable": True}})
    node = core.read_node_status("status-node")
    assert [(c.type, c.status) for c in node.status.conditions] == [("Ready", "True")]
    assert node.spec.unschedulable is True
    names = [n.metadata.name for n in core.list_node(field_selector="spec.unschedulable=true",
                                                     label_selector="role=worker").items]
    assert names == ["status-node"]
    core.delete_node("status-node")


def test_graceful_deletion_of_a_bound_pod(api: ApiServer, core: Any,
                                          ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("p", nodeName="node-1"))
    terminating = core.delete_namespaced_pod("p", ns)
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds == 30
    assert core.read_namespaced_pod("p", ns).metadata.deletion_timestamp is not None
    core.delete_namespaced_pod("p", ns, body=client.V1DeleteOptions(grace_period_seconds=0))
    assert api.objects("pods", ns) == []
    assert ("DELETE", f"/api/v1/namespaces/{ns}/pods/p", 200) in api.requests


def test_delete_preconditions_guard_the_pod_uid(api: ApiServer, core: Any, ns: str) -> None:
    uid = core.create_namespaced_pod(ns, _pod("p", nodeName="node-1")).metadata.uid
    status = _refused(core.delete_namespaced_pod, "p", ns, body=client.V1DeleteOptions(
        grace_period_seconds=0, preconditions=client.V1Preconditions(uid="other")))
    assert (status["code"], status["reason"]) == (409, "Conflict")
    assert status["message"] == (f'Operation cannot be fulfilled on pods "p": Precondition '
                                 f"failed: UID in precondition: other, UID in object meta: {uid}")
    core.delete_namespaced_pod("p", ns, body=client.V1DeleteOptions(
        grace_period_seconds=0, preconditions=client.V1Preconditions(uid=uid)))
    assert api.objects("pods", ns) == []


def test_finalizers_hold_a_deleted_object(api: ApiServer, core: Any, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cm",
                                                        "finalizers": ["example.com/hold"]}})
    core.delete_namespaced_config_map("cm", ns)
    held = core.read_namespaced_config_map("cm", ns)
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("cm", ns, {"metadata": {"finalizers": None}},
                                     _content_type="application/merge-patch+json")
    assert api.objects("configmaps", ns) == []


def test_node_leases(admin: Any) -> None:
    leases = CoordinationV1Api(admin)
    lease = leases.create_namespaced_lease("kube-node-lease", {
        "metadata": {"name": "node-1"},
        "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}})
    renewed = leases.patch_namespaced_lease("node-1", "kube-node-lease", {
        "spec": {"renewTime": "2026-01-01T00:00:00.000000Z"}})
    assert renewed.spec.holder_identity == "node-1"
    assert renewed.metadata.resource_version != lease.metadata.resource_version


def test_service_account_admission(core: Any, ns: str) -> None:
    assert [sa.metadata.name for sa in core.list_namespaced_service_account(ns).items] == [
        "default"]
    status = _refused(core.create_namespaced_pod, ns, _pod("p", serviceAccountName="robot"))
    assert (status["code"], status["reason"]) == (403, "Forbidden")
    assert status["message"] == (f'pods "p" is forbidden: error looking up service account '
                                 f'{ns}/robot: serviceaccount "robot" not found')
    core.create_namespaced_service_account(ns, {"metadata": {"name": "robot"}})
    assert core.create_namespaced_pod(
        ns, _pod("p", serviceAccountName="robot")).spec.service_account_name == "robot"


def test_namespace_deletion_removes_its_objects(api: ApiServer, core: Any,
                                                ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}})
    core.delete_namespace(ns)
    assert api.objects(namespace=ns) == []
    assert _refused(core.read_namespace, ns)["code"] == 404
    assert _refused(core.delete_namespace, "default")["code"] == 403


def test_delete_collection_by_label(api: ApiServer, core: Any,
                                    labelled: str) -> None:
    core.delete_collection_namespaced_config_map(labelled, label_selector="app=web")
    assert [o["metadata"]["name"] for o in api.objects("configmaps", labelled)] == ["b", "d"]


def test_watch_streams_changes(core: Any, ns: str) -> None:
    version = core.list_namespaced_config_map(ns).metadata.resource_version
    threading.Timer(0.2, core.create_namespaced_config_map,
                    (ns, {"metadata": {"name": "late"}})).start()
    stream = watch.Watch().stream(core.list_namespaced_config_map, ns,
                                  resource_version=version, timeout_seconds=5)
    event = next(stream)
    assert (event["type"], event["object"].metadata.name) == ("ADDED", "late")


def test_watch_from_now_lists_then_follows_with_selectors(core: Any, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "old", "labels": {"w": "1"}}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "other"}})

    def changes() -> None:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "new", "labels": {"w": "1"}}})
        core.delete_namespaced_config_map("old", ns)

    threading.Timer(0.2, changes).start()
    stream = watch.Watch().stream(core.list_namespaced_config_map, ns, label_selector="w=1",
                                  timeout_seconds=5)
    events = [(e["type"], e["object"].metadata.name) for e in itertools.islice(stream, 3)]
    assert events == [("ADDED", "old"), ("ADDED", "new"), ("DELETED", "old")]


def test_concurrent_writers_get_distinct_resource_versions(core: Any, ns: str) -> None:
    versions: list[str] = []

    def create(index: int) -> None:
        created = core.create_namespaced_config_map(ns, {"metadata": {"name": f"c{index}"}})
        versions.append(created.metadata.resource_version)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(versions)) == 8
    assert len(core.list_namespaced_config_map(ns).items) == 8


def test_a_uid_in_an_update_is_a_precondition(core: Any, ns: str) -> None:
    core.create_namespaced_pod(ns, _pod("p"))
    status = _refused(core.patch_namespaced_pod_status, "p", ns, {
        "metadata": {"uid": "not-this-pod"}, "status": {"phase": "Running"}})
    assert status["code"] == 409
    assert "Precondition failed: UID in precondition: not-this-pod" in status["message"]


def test_kubeconfig_carries_the_context_namespace(api: ApiServer, tmp_path: Path) -> None:
    path = api.kubeconfig(tmp_path / "kc", context="ctx", namespace="team")
    contexts, current = config.list_kube_config_contexts(config_file=str(path))
    assert current["name"] == "ctx"
    assert current["context"] == {"cluster": "ctx", "user": "ctx", "namespace": "team"}
    assert [c["name"] for c in contexts] == ["ctx"]


# ---------------------------------------------------------------- services


def test_cluster_ips_come_from_a_loopback_range(api: ApiServer, core: Any,
                                                ns: str) -> None:
    network = ipaddress.IPv4Network(api.service_cidr)
    assert network.subnet_of(ipaddress.IPv4Network("127.0.0.0/8"))
    first = core.create_namespaced_service(ns, _MANIFESTS[0])
    second = core.create_namespaced_service(ns, {"metadata": {"name": "two"},
                                                 "spec": {"ports": [{"port": 81}]}})
    for service in (first, second):
        address = ipaddress.ip_address(service.spec.cluster_ip)
        assert address in network
        assert address not in (network[0], network[1])
        assert service.spec.cluster_ips == [service.spec.cluster_ip]
    assert first.spec.cluster_ip != second.spec.cluster_ip
    assert first.spec.type == "ClusterIP"
    assert first.spec.ports[0].target_port == 80
    headless = core.create_namespaced_service(ns, {"metadata": {"name": "headless"},
                                                   "spec": {"clusterIP": "None"}})
    assert headless.spec.cluster_ips == ["None"]
    outside = _refused(core.create_namespaced_service, ns, {
        "metadata": {"name": "outside"}, "spec": {"clusterIP": "10.0.0.1",
                                                  "ports": [{"port": 80}]}})
    assert outside["reason"] == "Invalid"
    assert "not in the valid range" in outside["message"]


def test_node_ports_are_allocated(core: Any, ns: str) -> None:
    service = core.create_namespaced_service(ns, {"metadata": {"name": "np"}, "spec": {
        "type": "NodePort", "ports": [{"port": 80, "name": "a"}, {"port": 81, "name": "b"}]}})
    ports = [p.node_port for p in service.spec.ports]
    assert all(30000 <= port <= 32767 for port in ports)
    assert len(set(ports)) == 2
    patched = core.patch_namespaced_service("np", ns, {"metadata": {"labels": {"x": "y"}}})
    assert [p.node_port for p in patched.spec.ports] == ports


# ---------------------------------------------------------------- authentication, RBAC


def test_requests_without_a_known_token_are_unauthorized(api: ApiServer,
                                                         tmp_path: Path) -> None:
    core = CoreV1Api(_client(api, tmp_path, token="not-a-token"))
    status = _refused(core.list_namespaced_pod, "default")
    assert (status["code"], status["reason"], status["message"]) == (
        401, "Unauthorized", "Unauthorized")


_READER_RULES = [
    {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "pods/log"],
     "namespaces": ["team"]},
    {"verbs": ["create", "delete"], "apiGroups": [""], "resources": ["configmaps"],
     "namespaces": ["team"]},
    {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"],
     "resourceNames": ["visible"], "namespaces": ["team"]},
    {"verbs": ["list"], "apiGroups": [""], "resources": ["nodes"]},
    {"verbs": ["patch"], "apiGroups": ["apps"], "resources": ["deployments/status"]},
]
# (verb, group, resource, subresource, namespace, name, expected, call on CoreV1Api/AppsV1Api)
_ACCESS_CASES = [
    ("list", "", "pods", "", "team", "", True, lambda c, a: c.list_namespaced_pod("team")),
    ("list", "", "pods", "", "other", "", False, lambda c, a: c.list_namespaced_pod("other")),
    ("list", "", "pods", "", "", "", False, lambda c, a: c.list_pod_for_all_namespaces()),
    ("delete", "", "pods", "", "team", "p", False,
     lambda c, a: c.delete_namespaced_pod("p", "team")),
    ("create", "", "configmaps", "", "team", "", True,
     lambda c, a: c.create_namespaced_config_map("team", {"metadata": {"name": "m"}})),
    ("get", "", "configmaps", "", "team", "m", False,
     lambda c, a: c.read_namespaced_config_map("m", "team")),
    ("get", "", "secrets", "", "team", "visible", True,
     lambda c, a: c.read_namespaced_secret("visible", "team")),
    ("get", "", "secrets", "", "team", "hidden", False,
     lambda c, a: c.read_namespaced_secret("hidden", "team")),
    ("list", "", "nodes", "", "", "", True, lambda c, a: c.list_node()),
    ("get", "", "nodes", "", "", "n", False, lambda c, a: c.read_node("n")),
    ("get", "", "pods", "status", "team", "p", False,
     lambda c, a: c.read_namespaced_pod_status("p", "team")),
    ("patch", "apps", "deployments", "status", "team", "d", True,
     lambda c, a: a.patch_namespaced_deployment_status("d", "team", {})),
    ("patch", "apps", "deployments", "", "team", "d", False,
     lambda c, a: a.patch_namespaced_deployment("d", "team", {})),
]


@pytest.fixture(scope="module")
def reader(api: ApiServer, admin: client.ApiClient,
           tmp_path_factory: pytest.TempPathFactory) -> client.ApiClient:
    core = CoreV1Api(admin)
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_secret("team", {"metadata": {"name": "visible"}})
    core.create_namespaced_secret("team", {"metadata": {"name": "hidden"}})
    api.add_user("reader-token", "reader", _READER_RULES)
    return _client(api, tmp_path_factory.mktemp("reader"), token="reader-token")


@pytest.mark.parametrize(("verb", "group", "resource", "subresource", "namespace", "name",
                          "expected", "call"), _ACCESS_CASES,
                         ids=[f"{c[0]}-{c[2]}{'-' + c[3] if c[3] else ''}-{c[4] or 'cluster'}"
                              f"{'-' + c[5] if c[5] else ''}" for c in _ACCESS_CASES])
def test_access_reviews_agree_with_enforcement(
        reader: client.ApiClient, verb: str, group: str, resource: str, subresource: str,
        namespace: str, name: str, expected: bool, call: Any) -> None:
    review = AuthorizationV1Api(reader).create_self_subject_access_review({
        "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource,
                                        "subresource": subresource, "namespace": namespace,
                                        "name": name}}})
    assert review.status.allowed is expected
    try:
        call(CoreV1Api(reader), AppsV1Api(reader))
        enforced = True
    except ApiException as error:
        enforced = error.status != 403   # allowed, but e.g. not found
    assert enforced is expected


def test_forbidden_messages_are_the_real_ones(reader: client.ApiClient) -> None:
    core = CoreV1Api(reader)
    listed = _refused(core.list_namespaced_pod, "other")
    assert listed["message"] == ('pods is forbidden: User "reader" cannot list resource "pods" '
                                 'in API group "" in the namespace "other"')
    assert listed["details"] == {"kind": "pods"}
    named = _refused(AppsV1Api(reader).read_namespaced_deployment, "d", "team")
    assert named["message"] == ('deployments.apps "d" is forbidden: User "reader" cannot get '
                                'resource "deployments" in API group "apps" in the namespace '
                                '"team"')
    cluster = _refused(core.list_pod_for_all_namespaces)
    assert cluster["message"].endswith('cannot list resource "pods" in API group "" at the '
                                       "cluster scope")


def test_service_account_tokens_authenticate(api: ApiServer, core: Any,
                                             ns: str, tmp_path: Path) -> None:
    token = core.create_namespaced_service_account_token(
        "default", ns, {"spec": {"audiences": ["api"]}}).status.token
    api.add_user("unused", f"system:serviceaccount:{ns}:default", [
        {"verbs": ["list"], "apiGroups": [""], "resources": ["configmaps"]}])
    account = CoreV1Api(_client(api, tmp_path, token=token))
    assert account.list_namespaced_config_map(ns).items == []
    assert _refused(account.list_namespaced_secret, ns)["message"].startswith(
        f'secrets is forbidden: User "system:serviceaccount:{ns}:default"')


# ---------------------------------------------------------------- pods/log


@pytest.fixture(scope="module")
def kubelet(kubelet_ca: CertificateAuthority) -> Iterator[int]:
    cert = kubelet_ca.issue("kubelet")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_file, cert.key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KubeletStub)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _node(name: str, port: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "status": {
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}}


def test_pod_logs_are_proxied_to_the_kubelet(api: ApiServer, core: Any, ns: str,
                                              kubelet: int) -> None:
    api.seed(_node(f"node-{ns}", kubelet))
    core.create_namespaced_pod(ns, _pod("p", nodeName=f"node-{ns}"))
    core.patch_namespaced_pod_status("p", ns, {"status": {"containerStatuses": [{
        "name": "main", "image": "busybox:1.36", "imageID": "", "ready": True,
        "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})
    assert core.read_namespaced_pod_log("p", ns, tail_lines=2) == "line 1\nline 2\n"
    assert _KubeletStub.asked[-1] == f"/containerLogs/{ns}/p/main?tailLines=2"


def test_the_bundles_reads_pass_through_the_harness_client_code(
        api: ApiServer, admin: client.ApiClient, core: Any, ns: str, kubelet: int,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What --collect reads under --cluster, through mlflow_conformance's own client code:
    a log bounded by tailLines and limitBytes (both reach the kubelet), Events page by page,
    and a read the identity may not do refused as a 403 naming the permission."""
    from mlflow_conformance.bundle.archive import BundleFile, Omitted
    from mlflow_conformance.bundle.cluster import ClusterScope, PerNamespace, Unreadable
    from mlflow_conformance.cluster import rbac
    from mlflow_conformance.cluster.kube import Kube, read_log

    api.seed(_node(f"node-{ns}", kubelet))
    core.create_namespaced_pod(ns, _pod("p", nodeName=f"node-{ns}"))
    core.patch_namespaced_pod_status("p", ns, {"status": {"containerStatuses": [{
        "name": "main", "image": "busybox:1.36", "imageID": "", "ready": True,
        "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})
    kube = Kube(admin, "test")
    assert read_log(kube, ns, "p", "main", tail_lines=5, limit_bytes=4, seconds=5) == b"line"
    assert _KubeletStub.asked[-1] == f"/containerLogs/{ns}/p/main?limitBytes=4&tailLines=5"
    for index in range(7):
        api.seed({"apiVersion": "v1", "kind": "Event", "metadata": {
            "name": f"p.{index}", "namespace": ns}, "involvedObject": {"kind": "Pod",
            "name": "p", "namespace": ns}, "reason": "Pulled", "type": "Normal",
            "lastTimestamp": f"2026-01-01T00:00:0{index}Z"})
    import mlflow_conformance.bundle.cluster as cluster_files

    scope = ClusterScope(kube, ns, (ns,), "d", "s", float("inf"), 30)
    events = PerNamespace("events", "cluster/events.json", rbac.EVENTS, rbac.JOB_EVENTS,
                          "list_namespaced_event", cluster_files.newest_events)
    monkeypatch.setattr(cluster_files, "EVENTS_PAGE", 3)  # 7 Events: 3 pages
    monkeypatch.setattr(cluster_files, "EVENTS_KEPT", 5)
    [bundled] = list(events.collect(scope))
    assert isinstance(bundled, BundleFile)
    assert [e["metadata"]["name"] for e in json.loads(bundled.content)[ns]] == [
        f"p.{i}" for i in range(2, 7)]
    assert bundled.truncated
    assert sum(f"/namespaces/{ns}/events?" in path and "continue=" in path
               for _, path, _ in api.requests) == 2
    api.add_user("no-events", "no-events", [{"verbs": ["get"], "apiGroups": [""],
                                             "resources": ["pods/log"]}])
    denied = ClusterScope(Kube(_client(api, tmp_path, token="no-events"), "test"), ns, (ns,),
                          "d", "s", float("inf"), 30)
    [omitted] = list(events.collect(denied))
    assert isinstance(omitted, Omitted)
    assert omitted.reason.startswith(f"events of {ns}: permission missing: list events in {ns} "
                                     "(HTTP 403)")
    with pytest.raises(Unreadable, match=rf"^log of gone: not found in {ns} \(HTTP 404\)$"):
        scope.ask(rbac.SERVER_LOGS, ns, "log of gone", lambda seconds: read_log(
            kube, ns, "gone", "main", tail_lines=1, limit_bytes=1, seconds=seconds))


def test_logs_of_a_container_not_started(api: ApiServer, core: Any, ns: str,
                                         kubelet: int) -> None:
    core.create_namespaced_pod(ns, _pod("p"))
    assert core.read_namespaced_pod_log("p", ns) == ""   # unscheduled: empty, as real
    _bind(core, ns, "p", "node-x")
    status = _refused(core.read_namespaced_pod_log, "p", ns)
    assert (status["code"], status["message"]) == (
        400, 'container "main" in pod "p" is waiting to start: ContainerCreating')
    wrong = _refused(core.read_namespaced_pod_log, "p", ns, container="nope")
    assert wrong["message"] == "container nope is not valid for pod p"
    two = _pod("two", initContainers=[{"name": "init", "image": "busybox:1.36"}])
    two["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    core.create_namespaced_pod(ns, two)
    unnamed = _refused(core.read_namespaced_pod_log, "two", ns)
    assert unnamed["message"] == ("a container name must be specified for pod two, choose one "
                                  "of: [main side] or one of the init containers: [init]")


def test_seed_and_objects(api: ApiServer, ns: str) -> None:
    seeded = api.seed({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "s", "namespace": ns, "labels": {"a": "1"}}})
    assert seeded["metadata"]["resourceVersion"]
    assert seeded["kind"] == "ConfigMap"
    assert [o["metadata"]["name"] for o in api.objects("configmaps", ns, "a=1")] == ["s"]
    assert api.objects("configmaps", ns, "a=2") == []
    with pytest.raises(ApiError) as refused:
        api.seed({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "x", "namespace": ns}, "dta": {}})
    assert refused.value.status["reason"] == "BadRequest"
