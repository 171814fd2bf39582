"""What the cluster target may need to do, as data: the preflight asks the API server
(SelfSubjectAccessReview) for each before anything is created, and `rbac` prints the minimal
Role and RoleBinding for them.

A missing permission turns exactly the checks that need it into `error` with
`permission_missing` — the harness could not check; it says nothing about the platform — and
the rest still run. The diagnostics bundle's reads (:data:`BUNDLE`, get and list only) are
not asked for up front: a collector the API refuses is left out of the bundle, its
permission named in the manifest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

# Where a permission applies: the platform's namespace, every namespace probe pods run in
# (the job namespaces and the outsider namespace), or the cluster (a ClusterRole).
PLATFORM, JOBS, CLUSTER = "platform", "jobs", "cluster"


@dataclass(frozen=True)
class Permission:
    verb: str
    group: str  # "" is the core group
    resource: str
    subresource: str
    scope: str  # PLATFORM | JOBS | CLUSTER
    purpose: str  # what needs it (a phrase for messages and the Role's comments)
    writes: bool = False  # not granted to the read-only (smoke) Role

    @property
    def resource_path(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self, namespace: str) -> str:
        group = f".{self.group}" if self.group else ""
        return f"{self.verb} {self.resource_path}{group} in {namespace or 'the cluster'}"


# Discovery reads; the probe pods create, watch, read the log of and delete their objects.
# The reads the diagnostics bundle repeats are named: its collectors say which one is missing.
DEPLOYMENT = Permission("get", "apps", "deployments", "", PLATFORM,
                        "discovery: the MLflow Deployment")
SERVICE = Permission("get", "", "services", "", PLATFORM, "discovery: the tracking Service")
ENDPOINTS = Permission("get", "", "endpoints", "", PLATFORM, "discovery: the Service's endpoints")
POLICIES = Permission("list", "networking.k8s.io", "networkpolicies", "", PLATFORM,
                      "discovery: NetworkPolicies")
INGRESSES = Permission("list", "networking.k8s.io", "ingresses", "", PLATFORM,
                       "discovery: Ingress")
JOB_POLICIES = Permission("list", "networking.k8s.io", "networkpolicies", "", JOBS,
                          "isolation: the policies of the namespaces probe pods run in")
READS = (
    DEPLOYMENT, SERVICE, ENDPOINTS,
    Permission("get", "", "secrets", "", PLATFORM, "discovery: keys of the server's Secrets"),
    POLICIES, INGRESSES,
    Permission("get", "", "configmaps", "", JOBS, "discovery: settings injected into jobs"),
    Permission("get", "", "secrets", "", JOBS, "discovery: credentials injected into jobs"),
    JOB_POLICIES,
    Permission("get", "", "namespaces", "", CLUSTER,
               "isolation: namespace labels the policies select on"),
)
# The diagnostics bundle (--collect) reads a little more, and only reads (get and list): it
# needs no Secret, and in --profile smoke too it may read what it bundles.
EVENTS = Permission("list", "", "events", "", PLATFORM, "bundle: recent Events")
JOB_EVENTS = Permission("list", "", "events", "", JOBS,
                        "bundle: recent Events where probe pods ran")
SERVER_PODS = Permission("list", "", "pods", "", PLATFORM, "bundle: the tracking server's pods")
SERVER_LOGS = Permission("get", "", "pods", "log", PLATFORM, "bundle: the tracking server's logs")
BUNDLE = (EVENTS, JOB_EVENTS, SERVER_PODS, SERVER_LOGS)

PROBE_PODS = (
    Permission("create", "", "configmaps", "", JOBS, "probe pods: the probe code", True),
    Permission("delete", "", "configmaps", "", JOBS, "probe pods: the probe code", True),
    Permission("create", "", "secrets", "", JOBS, "probe pods: each probe's inputs", True),
    Permission("delete", "", "secrets", "", JOBS, "probe pods: each probe's inputs", True),
    Permission("create", "", "pods", "", JOBS, "probe pods", True),
    Permission("get", "", "pods", "", JOBS, "probe pods: their status", True),
    Permission("delete", "", "pods", "", JOBS, "probe pods: cleanup", True),
    Permission("get", "", "pods", "log", JOBS, "probe pods: their result", True),
    Permission("list", "", "pods", "", JOBS, "sweep: leftovers by label", True),
)
ALL = READS + BUNDLE + PROBE_PODS


def namespaces_of(permission: Permission, platform: str, jobs: Iterable[str]) -> list[str]:
    """Where to ask; "" is cluster scope."""
    if permission.scope == CLUSTER:
        return [""]
    return [platform] if permission.scope == PLATFORM else list(dict.fromkeys(jobs))


def review(permission: Permission, namespace: str) -> dict[str, Any]:
    attributes = {"verb": permission.verb, "group": permission.group,
                  "resource": permission.resource}
    if namespace:
        attributes["namespace"] = namespace
    if permission.subresource:
        attributes["subresource"] = permission.subresource
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}}


def preflight(kube: Any, platform: str, jobs: Iterable[str],
              permissions: Iterable[Permission] = ALL) -> list[str]:
    """Ask for each permission where it applies; returns the missing ones, described."""
    missing = []
    for permission in permissions:
        for namespace in namespaces_of(permission, platform, jobs):
            answer = kube.authorization.create_self_subject_access_review(
                review(permission, namespace), **kube.bound)
            if not answer.status.allowed:
                missing.append(permission.describe(namespace))
    return missing


def roles(platform: str, jobs: Iterable[str], *, read_only: bool,
          subject: dict[str, str]) -> list[dict[str, Any]]:
    """A Role and RoleBinding per namespace with exactly the permissions needed there."""
    chosen = [p for p in ALL if not (read_only and p.writes)]
    name = "mlflow-conformance-read-only" if read_only else "mlflow-conformance"
    by_namespace: dict[str, dict[tuple[str, str], set[str]]] = {}
    for permission in chosen:
        for namespace in namespaces_of(permission, platform, jobs):
            rules = by_namespace.setdefault(namespace, {})
            rules.setdefault((permission.group, permission.resource_path), set()).add(
                permission.verb)
    documents: list[dict[str, Any]] = []
    for namespace, rules in by_namespace.items():
        role = "ClusterRole" if not namespace else "Role"
        meta = {"name": name, **({"namespace": namespace} if namespace else {})}
        documents.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": role, "metadata": meta,
            "rules": [{"apiGroups": [group], "resources": [resource], "verbs": sorted(verbs)}
                      for (group, resource), verbs in sorted(rules.items())]})
        documents.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": f"{role}Binding",
            "metadata": dict(meta),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role, "name": name},
            "subjects": [subject]})
    return documents


def as_yaml(documents: Iterable[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(list(documents), sort_keys=False)


def subject_of(kind: str, name: str, namespace: str) -> dict[str, str]:
    if kind == "ServiceAccount":
        return {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("rbac", help="print the minimal Role and RoleBinding the cluster "
                            "target needs, as YAML for `kubectl apply -f -`")
    parser.add_argument("--namespace", default="ilum", help="the platform's namespace")
    parser.add_argument("--job-namespaces", default=None,
                        help="comma-separated job namespaces (default: --namespace)")
    parser.add_argument("--outsider-namespace", default="default",
                        help="where the isolation check runs its outsider probe pod")
    parser.add_argument("--profile", choices=("smoke", "full", "release"), default="full",
                        help="smoke: the read-only variant (discovery only, no probe pods)")
    parser.add_argument("--subject", default="User:mlflow-conformance",
                        help="who is bound: User:NAME, Group:NAME or ServiceAccount:NAME "
                        "(in --namespace)")


def run(args: Any) -> int:
    from ..options import OptionError, dns_label, dns_label_list

    try:
        platform = dns_label(args.namespace)
        jobs = dns_label_list(args.job_namespaces) if args.job_namespaces else (platform,)
        jobs = (*jobs, dns_label(args.outsider_namespace))
    except OptionError as exc:
        raise SystemExit(f"rbac: {exc}") from None
    kind, _, name = args.subject.partition(":")
    if kind not in ("User", "Group", "ServiceAccount") or not name:
        raise SystemExit(f"rbac: --subject {args.subject!r} is not User:NAME, Group:NAME or "
                         "ServiceAccount:NAME")
    print(as_yaml(roles(platform, jobs, read_only=args.profile == "smoke",
                        subject=subject_of(kind, name, platform))), end="")
    return 0
