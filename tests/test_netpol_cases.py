"""The evaluator against cases written from the Kubernetes NetworkPolicy documentation
(concepts/services-networking/network-policies): each case states the verdict AND the reason
(the deciding policy and rule, or why nothing admitted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from mlflow_conformance.netpol.errors import InvalidObject
from mlflow_conformance.netpol.evaluate import evaluate
from mlflow_conformance.netpol.model import Endpoint, Pod, Service, ServicePort
from mlflow_conformance.netpol.policy import parse_policy
from mlflow_conformance.netpol.verdict import RuleRef
from tests.netpol_helpers import (
    ALICE_CLIENT,
    ALICE_WEB,
    BOB_CLIENT,
    DB,
    EXCEPTED,
    FRONTEND,
    INSIDE_BLOCK,
    OTHER,
    OUTSIDE,
    PROJECT_POD,
    STRAY,
    inventory,
    netpol,
)

# The documentation's examples, verbatim but for the YAML.
TEST_NETWORK_POLICY = netpol("test-network-policy", {
    "podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress", "Egress"],
    "ingress": [{"from": [
        {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
        {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
        {"podSelector": {"matchLabels": {"role": "frontend"}}}],
        "ports": [{"protocol": "TCP", "port": 6379}]}],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 5978}]}]})
DEFAULT_DENY_INGRESS = netpol("default-deny-ingress",
                              {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_ALL_INGRESS = netpol("allow-all-ingress",
                           {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
DEFAULT_DENY_EGRESS = netpol("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_ALL_EGRESS = netpol("allow-all-egress",
                          {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
DEFAULT_DENY_ALL = netpol("default-deny-all",
                          {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
MULTI_PORT_EGRESS = netpol("multi-port-egress", {
    "podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Egress"],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}]}]})
# The documentation's "and" versus "or" of namespaceSelector and podSelector.
ALICE_AND = netpol("alice-and", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
    {"from": [{"namespaceSelector": {"matchLabels": {"user": "alice"}},
               "podSelector": {"matchLabels": {"role": "client"}}}]}]})
ALICE_OR = netpol("alice-or", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
    {"from": [{"namespaceSelector": {"matchLabels": {"user": "alice"}}},
              {"podSelector": {"matchLabels": {"role": "client"}}}]}]})


def ingress_to_db(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return netpol(name, {"podSelector": {"matchLabels": {"role": "db"}},
                         "policyTypes": ["Ingress"], "ingress": list(rules)})


def egress_of_frontend(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return netpol(name, {"podSelector": {"matchLabels": {"role": "frontend"}},
                         "policyTypes": ["Egress"], "egress": list(rules)})


def expressions(*exprs: dict[str, Any]) -> dict[str, Any]:
    return {"matchExpressions": list(exprs)}


HTTP_DB = Pod("default", "db", {"role": "db"}, "10.1.0.2",
              {"http": (5000, "TCP"), "metrics": (9090, "UDP")})
NAMED_HTTP = ingress_to_db("named-http", {"ports": [{"port": "http"}]})

NOT_ISOLATED_IN = "ingress: no policy selects the destination {}: not isolated"
NOT_ISOLATED_OUT = "egress: no policy selects the source {}: not isolated"
FRONT_OUT = NOT_ISOLATED_OUT.format("default/frontend")
DB_IN = NOT_ISOLATED_IN.format("default/db")
OUTSIDE_SOURCE = "egress: the source is outside the cluster: no policy applies"
OUTSIDE_DEST = "ingress: the destination is outside the cluster: no policy applies"


def none_admits(direction: str, subject: str, *policies: str) -> str:
    which, verb = ("policy", "selects") if len(policies) == 1 else ("policies", "select")
    role = "destination" if direction == "ingress" else "source"
    return (f"{direction}: {which} {', '.join(policies)} {verb} the {role} {subject} for "
            f"{direction} and none of their rules admits this peer/port")


def allowed_in(policy: str, rule: int = 0) -> str:
    return f"ingress: allowed by default/{policy} ingress rule {rule}"


def allowed_out(policy: str, rule: int = 0) -> str:
    return f"egress: allowed by default/{policy} egress rule {rule}"


@dataclass(frozen=True)
class Case:
    id: str
    policies: tuple[dict[str, Any], ...]
    source: Endpoint
    destination: Endpoint
    port: int
    allowed: bool
    reason: str
    deciding: tuple[str, str, int] | None = None  # (policy name, direction, rule index)
    protocol: str = "TCP"
    pods: tuple[Pod, ...] | None = None


TNP, DENY_DB = (TEST_NETWORK_POLICY,), none_admits("ingress", "default/db",
                                                    "default/test-network-policy")
CASES = [
    # --- no policy at all, and non-isolation per direction
    Case("no-policies-allow", (), ALICE_WEB, DB, 1234, True,
         f"{NOT_ISOLATED_OUT.format('alice/web')}; {DB_IN}"),
    Case("policy-elsewhere-not-isolated", (DEFAULT_DENY_INGRESS,), FRONTEND, ALICE_WEB, 80, True,
         f"{FRONT_OUT}; {NOT_ISOLATED_IN.format('alice/web')}"),
    # --- the documentation's test-network-policy
    Case("tnp-frontend-pod", TNP, FRONTEND, DB, 6379, True,
         f"{FRONT_OUT}; {allowed_in('test-network-policy')}",
         ("test-network-policy", "Ingress", 0)),
    Case("tnp-namespace-project", TNP, PROJECT_POD, DB, 6379, True,
         f"{NOT_ISOLATED_OUT.format('myproject/worker')}; {allowed_in('test-network-policy')}",
         ("test-network-policy", "Ingress", 0)),
    Case("tnp-ipblock", TNP, INSIDE_BLOCK, DB, 6379, True,
         f"{allowed_in('test-network-policy')}; {OUTSIDE_SOURCE}",
         ("test-network-policy", "Ingress", 0)),
    Case("tnp-ipblock-except", TNP, EXCEPTED, DB, 6379, False, f"{DENY_DB}; {OUTSIDE_SOURCE}"),
    Case("tnp-other-port", TNP, FRONTEND, DB, 6380, False, f"{DENY_DB}; {FRONT_OUT}"),
    Case("tnp-udp-not-tcp", TNP, FRONTEND, DB, 6379, False, f"{DENY_DB}; {FRONT_OUT}",
         protocol="UDP"),
    Case("tnp-pod-selector-own-namespace-only", TNP, STRAY, DB, 6379, False,
         f"{DENY_DB}; {NOT_ISOLATED_OUT.format('unknown/stray')}"),
    Case("tnp-unlisted-pod", TNP, OTHER, DB, 6379, False,
         f"{DENY_DB}; {NOT_ISOLATED_OUT.format('default/other')}"),
    Case("tnp-egress-ipblock", TNP, DB, OUTSIDE, 5978, True,
         f"{allowed_out('test-network-policy')}; {OUTSIDE_DEST}",
         ("test-network-policy", "Egress", 0)),
    Case("tnp-egress-other-port", TNP, DB, OUTSIDE, 5979, False,
         f"{none_admits('egress', 'default/db', 'default/test-network-policy')}; "
         f"{OUTSIDE_DEST}"),
    Case("tnp-egress-to-pod-denied", TNP, DB, FRONTEND, 5978, False,
         f"{none_admits('egress', 'default/db', 'default/test-network-policy')}; "
         f"{NOT_ISOLATED_IN.format('default/frontend')}"),
    # --- default policies
    Case("default-deny-ingress", (DEFAULT_DENY_INGRESS,), FRONTEND, DB, 6379, False,
         f"{none_admits('ingress', 'default/db', 'default/default-deny-ingress')}; "
         f"{FRONT_OUT}"),
    Case("default-deny-ingress-from-outside", (DEFAULT_DENY_INGRESS,), INSIDE_BLOCK, DB, 80,
         False, f"{none_admits('ingress', 'default/db', 'default/default-deny-ingress')}; "
         f"{OUTSIDE_SOURCE}"),
    Case("default-allow-ingress", (DEFAULT_DENY_INGRESS, ALLOW_ALL_INGRESS), BOB_CLIENT, DB, 1,
         True, f"{NOT_ISOLATED_OUT.format('bob/client')}; {allowed_in('allow-all-ingress')}",
         ("allow-all-ingress", "Ingress", 0)),
    Case("default-allow-ingress-outside", (ALLOW_ALL_INGRESS,), INSIDE_BLOCK, DB, 65535, True,
         f"{allowed_in('allow-all-ingress')}; {OUTSIDE_SOURCE}",
         ("allow-all-ingress", "Ingress", 0), protocol="SCTP"),
    Case("default-deny-egress", (DEFAULT_DENY_EGRESS,), FRONTEND, ALICE_WEB, 80, False,
         f"{none_admits('egress', 'default/frontend', 'default/default-deny-egress')}; "
         f"{NOT_ISOLATED_IN.format('alice/web')}"),
    Case("default-deny-egress-leaves-ingress", (DEFAULT_DENY_EGRESS,), ALICE_WEB, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('alice/web')}; {DB_IN}"),
    Case("allow-all-egress", (DEFAULT_DENY_EGRESS, ALLOW_ALL_EGRESS), FRONTEND, OUTSIDE, 443,
         True, f"{allowed_out('allow-all-egress')}; {OUTSIDE_DEST}",
         ("allow-all-egress", "Egress", 0)),
    Case("default-deny-all-egress-side", (DEFAULT_DENY_ALL,), FRONTEND, ALICE_WEB, 80, False,
         f"{none_admits('egress', 'default/frontend', 'default/default-deny-all')}; "
         f"{NOT_ISOLATED_IN.format('alice/web')}"),
    # --- ingress at the destination AND egress at the source
    Case("both-directions-must-allow", (DEFAULT_DENY_EGRESS, ALLOW_ALL_INGRESS), FRONTEND, DB,
         80, False, f"{none_admits('egress', 'default/frontend', 'default/default-deny-egress')}"
         f"; {allowed_in('allow-all-ingress')}"),
    Case("both-directions-allow", (DEFAULT_DENY_ALL, ALLOW_ALL_INGRESS, ALLOW_ALL_EGRESS),
         FRONTEND, DB, 80, True, f"{allowed_out('allow-all-egress')}; "
         f"{allowed_in('allow-all-ingress')}", ("allow-all-ingress", "Ingress", 0)),
    # --- endPort (the documentation's multi-port-egress)
    *[Case(f"endport-{port}-{proto}", (MULTI_PORT_EGRESS,), DB, OUTSIDE, port, ok,
           (allowed_out("multi-port-egress") if ok else
            none_admits("egress", "default/db", "default/multi-port-egress"))
           + f"; {OUTSIDE_DEST}", ("multi-port-egress", "Egress", 0) if ok else None,
           protocol=proto)
      for port, proto, ok in ((32000, "TCP", True), (32768, "TCP", True), (32500, "TCP", True),
                              (31999, "TCP", False), (32769, "TCP", False),
                              (32000, "UDP", False))],
    # --- AND versus OR of namespaceSelector and podSelector
    Case("and-both-match", (ALICE_AND,), ALICE_CLIENT, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('alice/client')}; {allowed_in('alice-and')}",
         ("alice-and", "Ingress", 0)),
    Case("and-namespace-only", (ALICE_AND,), ALICE_WEB, DB, 80, False,
         f"{none_admits('ingress', 'default/db', 'default/alice-and')}; "
         f"{NOT_ISOLATED_OUT.format('alice/web')}"),
    Case("and-pod-only", (ALICE_AND,), BOB_CLIENT, DB, 80, False,
         f"{none_admits('ingress', 'default/db', 'default/alice-and')}; "
         f"{NOT_ISOLATED_OUT.format('bob/client')}"),
    Case("or-namespace-alone", (ALICE_OR,), ALICE_WEB, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('alice/web')}; {allowed_in('alice-or')}",
         ("alice-or", "Ingress", 0)),
    # The second peer is a podSelector alone: the policy's own namespace, not bob's.
    Case("or-pod-peer-is-own-namespace", (ALICE_OR,), BOB_CLIENT, DB, 80, False,
         f"{none_admits('ingress', 'default/db', 'default/alice-or')}; "
         f"{NOT_ISOLATED_OUT.format('bob/client')}"),
]


CASES += [
    # --- selectors: empty, matchExpressions, the automatic namespace name label
    Case("empty-namespace-selector-all-namespaces",
         (ingress_to_db("any-ns", {"from": [{"namespaceSelector": {}}]}),), STRAY, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('unknown/stray')}; {allowed_in('any-ns')}",
         ("any-ns", "Ingress", 0)),
    Case("empty-namespace-selector-not-outside",
         (ingress_to_db("any-ns", {"from": [{"namespaceSelector": {}}]}),), INSIDE_BLOCK, DB,
         80, False, f"{none_admits('ingress', 'default/db', 'default/any-ns')}; "
         f"{OUTSIDE_SOURCE}"),
    Case("empty-pod-selector-own-namespace",
         (ingress_to_db("same-ns", {"from": [{"podSelector": {}}]}),), OTHER, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('default/other')}; {allowed_in('same-ns')}",
         ("same-ns", "Ingress", 0)),
    Case("empty-pod-selector-not-other-namespace",
         (ingress_to_db("same-ns", {"from": [{"podSelector": {}}]}),), ALICE_WEB, DB, 80, False,
         f"{none_admits('ingress', 'default/db', 'default/same-ns')}; "
         f"{NOT_ISOLATED_OUT.format('alice/web')}"),
    Case("namespace-by-name-label-without-object",
         (ingress_to_db("by-name", {"from": [{"namespaceSelector": {"matchLabels": {
             "kubernetes.io/metadata.name": "unknown"}}}]}),), STRAY, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('unknown/stray')}; {allowed_in('by-name')}",
         ("by-name", "Ingress", 0)),
    Case("expression-in",
         (ingress_to_db("in", {"from": [{"podSelector": expressions(
             {"key": "role", "operator": "In", "values": ["frontend", "other"]})}]}),),
         OTHER, DB, 80, True, f"{NOT_ISOLATED_OUT.format('default/other')}; {allowed_in('in')}",
         ("in", "Ingress", 0)),
    Case("expression-in-miss",
         (ingress_to_db("in", {"from": [{"podSelector": expressions(
             {"key": "role", "operator": "In", "values": ["frontend"]})}]}),),
         OTHER, DB, 80, False, f"{none_admits('ingress', 'default/db', 'default/in')}; "
         f"{NOT_ISOLATED_OUT.format('default/other')}"),
    Case("expression-notin-absent-key-matches",
         (ingress_to_db("notin", {"from": [{"namespaceSelector": expressions(
             {"key": "user", "operator": "NotIn", "values": ["alice"]})}]}),),
         PROJECT_POD, DB, 80, True,
         f"{NOT_ISOLATED_OUT.format('myproject/worker')}; {allowed_in('notin')}",
         ("notin", "Ingress", 0)),
    Case("expression-notin-excludes",
         (ingress_to_db("notin", {"from": [{"namespaceSelector": expressions(
             {"key": "user", "operator": "NotIn", "values": ["alice"]})}]}),),
         ALICE_CLIENT, DB, 80, False, f"{none_admits('ingress', 'default/db', 'default/notin')}"
         f"; {NOT_ISOLATED_OUT.format('alice/client')}"),
    Case("expression-exists",
         (ingress_to_db("exists", {"from": [{"namespaceSelector": expressions(
             {"key": "user", "operator": "Exists"})}]}),),
         BOB_CLIENT, DB, 80, True, f"{NOT_ISOLATED_OUT.format('bob/client')}; "
         f"{allowed_in('exists')}", ("exists", "Ingress", 0)),
    Case("expression-exists-miss",
         (ingress_to_db("exists", {"from": [{"namespaceSelector": expressions(
             {"key": "user", "operator": "Exists"})}]}),),
         PROJECT_POD, DB, 80, False, f"{none_admits('ingress', 'default/db', 'default/exists')}"
         f"; {NOT_ISOLATED_OUT.format('myproject/worker')}"),
    Case("expression-does-not-exist",
         (ingress_to_db("dne", {"from": [{"namespaceSelector": expressions(
             {"key": "user", "operator": "DoesNotExist"})}]}),),
         PROJECT_POD, DB, 80, True, f"{NOT_ISOLATED_OUT.format('myproject/worker')}; "
         f"{allowed_in('dne')}", ("dne", "Ingress", 0)),
    Case("expression-does-not-exist-miss",
         (ingress_to_db("dne", {"from": [{"namespaceSelector": expressions(
             {"key": "user", "operator": "DoesNotExist"})}]}),),
         BOB_CLIENT, DB, 80, False, f"{none_admits('ingress', 'default/db', 'default/dne')}; "
         f"{NOT_ISOLATED_OUT.format('bob/client')}"),
    Case("labels-and-expressions-are-anded",
         (ingress_to_db("both", {"from": [{"podSelector": {
             "matchLabels": {"role": "frontend"},
             "matchExpressions": [{"key": "tier", "operator": "Exists"}]}}]}),),
         FRONTEND, DB, 80, False, f"{none_admits('ingress', 'default/db', 'default/both')}; "
         f"{FRONT_OUT}"),
    Case("policy-pod-selector-expression",
         (netpol("deny-not-frontend", {"podSelector": expressions(
             {"key": "role", "operator": "NotIn", "values": ["frontend"]})}),),
         FRONTEND, OTHER, 80, False,
         f"{none_admits('ingress', 'default/other', 'default/deny-not-frontend')}; {FRONT_OUT}"),
    # --- ports: numbers, names, protocols
    Case("ports-only-rule-admits-everyone",
         (ingress_to_db("ports-only", {"ports": [{"port": 6379}]}),), BOB_CLIENT, DB, 6379,
         True, f"{NOT_ISOLATED_OUT.format('bob/client')}; {allowed_in('ports-only')}",
         ("ports-only", "Ingress", 0)),
    Case("protocol-defaults-to-tcp",
         (ingress_to_db("dns", {"ports": [{"port": 53}]}),), FRONTEND, DB, 53, False,
         f"{none_admits('ingress', 'default/db', 'default/dns')}; {FRONT_OUT}", protocol="UDP"),
    Case("protocol-without-port-all-ports",
         (ingress_to_db("udp", {"ports": [{"protocol": "UDP"}]}),), FRONTEND, DB, 40000, True,
         f"{FRONT_OUT}; {allowed_in('udp')}", ("udp", "Ingress", 0), protocol="UDP"),
    Case("empty-port-entry-is-all-tcp",
         (ingress_to_db("tcp", {"ports": [{}]}),), FRONTEND, DB, 40000, False,
         f"{none_admits('ingress', 'default/db', 'default/tcp')}; {FRONT_OUT}", protocol="UDP"),
    Case("named-port-resolved", (NAMED_HTTP,), FRONTEND, HTTP_DB, 5000, True,
         f"{FRONT_OUT}; {allowed_in('named-http')}", ("named-http", "Ingress", 0)),
    Case("named-port-other-number", (NAMED_HTTP,), FRONTEND, HTTP_DB, 5001, False,
         f"{none_admits('ingress', 'default/db', 'default/named-http')}; {FRONT_OUT}"),
    Case("named-port-undeclared", (NAMED_HTTP,), FRONTEND, DB, 5000, False,
         f"{none_admits('ingress', 'default/db', 'default/named-http')}; {FRONT_OUT}"),
    Case("named-port-protocol-must-match",
         (ingress_to_db("metrics", {"ports": [{"port": "metrics", "protocol": "TCP"}]}),),
         FRONTEND, HTTP_DB, 9090, False,
         f"{none_admits('ingress', 'default/db', 'default/metrics')}; {FRONT_OUT}"),
    Case("named-port-udp", (ingress_to_db("metrics", {"ports": [
        {"port": "metrics", "protocol": "UDP"}]}),), FRONTEND, HTTP_DB, 9090, True,
         f"{FRONT_OUT}; {allowed_in('metrics')}", ("metrics", "Ingress", 0), protocol="UDP"),
    Case("egress-named-port-on-destination",
         (egress_of_frontend("to-http", {"ports": [{"port": "http"}]}),), FRONTEND, HTTP_DB,
         5000, True, f"{allowed_out('to-http')}; {DB_IN}", ("to-http", "Egress", 0)),
    Case("egress-named-port-not-on-outside",
         (egress_of_frontend("to-http", {"ports": [{"port": "http"}]}),), FRONTEND, OUTSIDE,
         5000, False, f"{none_admits('egress', 'default/frontend', 'default/to-http')}; "
         f"{OUTSIDE_DEST}"),
    Case("ipblock-matches-pod-ip",
         (ingress_to_db("pods-cidr", {"from": [{"ipBlock": {"cidr": "10.1.2.0/24"}}]}),),
         ALICE_WEB, DB, 80, True, f"{NOT_ISOLATED_OUT.format('alice/web')}; "
         f"{allowed_in('pods-cidr')}", ("pods-cidr", "Ingress", 0)),
    # --- policyTypes, explicit and implied
    Case("egress-rules-imply-ingress-too",
         (netpol("egress-only-rules", {"podSelector": {"matchLabels": {"role": "db"}},
                                       "egress": [{}]}),), FRONTEND, DB, 80, False,
         f"{none_admits('ingress', 'default/db', 'default/egress-only-rules')}; {FRONT_OUT}"),
    Case("ingress-rules-do-not-imply-egress",
         (netpol("ingress-only", {"podSelector": {}, "ingress": [{}]}),), FRONTEND, OUTSIDE,
         80, True, f"{FRONT_OUT}; {OUTSIDE_DEST}"),
    Case("empty-egress-list-does-not-imply-egress",  # the API server: Egress iff rules exist
         (netpol("empty-egress", {"podSelector": {}, "ingress": [{}], "egress": []}),),
         FRONTEND, OUTSIDE, 80, True, f"{FRONT_OUT}; {OUTSIDE_DEST}"),
    Case("explicit-egress-type-ignores-ingress-rules",
         (netpol("egress-type", {"podSelector": {}, "policyTypes": ["Egress"],
                                 "ingress": [{"from": [{"podSelector": {}}]}]}),),
         ALICE_WEB, DB, 80, True, f"{NOT_ISOLATED_OUT.format('alice/web')}; {DB_IN}"),
    Case("missing-ingress-denies-all",
         (netpol("no-ingress", {"podSelector": {"matchLabels": {"role": "db"}}}),), FRONTEND,
         DB, 80, False, f"{none_admits('ingress', 'default/db', 'default/no-ingress')}; "
         f"{FRONT_OUT}"),
    # --- the union of policies
    Case("union-deny-all-and-allow", (DEFAULT_DENY_INGRESS, NAMED_HTTP), FRONTEND, HTTP_DB,
         5000, True, f"{FRONT_OUT}; {allowed_in('named-http')}", ("named-http", "Ingress", 0)),
    Case("union-none-admits-names-all", (DEFAULT_DENY_INGRESS, NAMED_HTTP), FRONTEND, HTTP_DB,
         5001, False, none_admits("ingress", "default/db", "default/default-deny-ingress",
                                  "default/named-http") + f"; {FRONT_OUT}"),
    Case("second-rule-decides", (ingress_to_db("two-rules", {"ports": [{"port": 1}]},
                                               {"ports": [{"port": 2}]}),),
         FRONTEND, DB, 2, True, f"{FRONT_OUT}; {allowed_in('two-rules', 1)}",
         ("two-rules", "Ingress", 1)),
    Case("policy-of-other-namespace-does-not-apply",
         (netpol("alice-deny", {"podSelector": {}}, namespace="alice"),), ALICE_WEB, DB, 80,
         True, f"{NOT_ISOLATED_OUT.format('alice/web')}; {DB_IN}"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    pods = list(case.pods) if case.pods is not None else None
    verdict = evaluate(inventory(*case.policies, pods=pods), case.source, case.destination,
                       case.port, case.protocol)
    assert (verdict.allowed, verdict.reason()) == (case.allowed, case.reason)
    expected = None if case.deciding is None else RuleRef(f"default/{case.deciding[0]}",
                                                          case.deciding[1], case.deciding[2])
    assert verdict.deciding == expected


def test_case_ids_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


# --- Services: answered through the backing pods and their target ports
MLFLOW_A = Pod("default", "mlflow-a", {"app": "mlflow", "shard": "a"}, "10.1.0.10",
               {"http": (5000, "TCP")})
MLFLOW_B = Pod("default", "mlflow-b", {"app": "mlflow", "shard": "b"}, "10.1.0.11",
               {"http": (5000, "TCP")})
TRACKING = Service("default", "tracking", {"app": "mlflow"},
                   (ServicePort(80, "http"), ServicePort(8080, 5000)), "10.96.0.10")
ONLY_FRONTEND_TO_HTTP = netpol("mlflow-from-frontend", {
    "podSelector": {"matchLabels": {"app": "mlflow"}},
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}],
                 "ports": [{"port": 5000}]}]})


def test_service_named_target_port_reaches_backends() -> None:
    verdict = evaluate(inventory(ONLY_FRONTEND_TO_HTTP, pods=[FRONTEND, MLFLOW_A, MLFLOW_B]),
                       FRONTEND, TRACKING, 80)
    assert verdict.allowed
    assert [(b.destination, b.port) for b in verdict.backends] == [
        ("default/mlflow-a", 5000), ("default/mlflow-b", 5000)]
    assert verdict.deciding == RuleRef("default/mlflow-from-frontend", "Ingress", 0)
    assert verdict.reason() == (f"backend default/mlflow-a port 5000/TCP: {FRONT_OUT}; "
                                f"{allowed_in('mlflow-from-frontend')}")


def test_service_numeric_target_port_denied_for_other_pod() -> None:
    verdict = evaluate(inventory(ONLY_FRONTEND_TO_HTTP, pods=[OTHER, MLFLOW_A]), OTHER,
                       TRACKING, 8080)
    assert not verdict.allowed
    assert verdict.deciding is None
    assert verdict.reason() == (
        "backend default/mlflow-a port 5000/TCP: "
        + none_admits("ingress", "default/mlflow-a", "default/mlflow-from-frontend")
        + f"; {NOT_ISOLATED_OUT.format('default/other')}")


def test_service_backends_that_disagree_deny_and_say_so() -> None:
    only_a = netpol("deny-shard-a", {"podSelector": {"matchLabels": {"shard": "a"}}})
    verdict = evaluate(inventory(only_a, pods=[FRONTEND, MLFLOW_A, MLFLOW_B]), FRONTEND,
                       TRACKING, 80)
    assert not verdict.allowed
    assert [b.allowed for b in verdict.backends] == [False, True]
    assert verdict.reasons()[-1] == "1 of 2 backends admit it"
    assert verdict.reasons()[0].startswith("backend default/mlflow-a port 5000/TCP: ingress: "
                                           "policy default/deny-shard-a selects")


def test_service_without_the_port() -> None:
    verdict = evaluate(inventory(pods=[FRONTEND, MLFLOW_A]), FRONTEND, TRACKING, 81)
    assert (verdict.allowed, verdict.reason()) == (
        False, "service default/tracking has no port 81/TCP")


def test_service_named_target_port_no_pod_declares() -> None:
    undeclared = Pod("default", "mlflow-c", {"app": "mlflow"}, "10.1.0.12")
    verdict = evaluate(inventory(pods=[FRONTEND, undeclared]), FRONTEND, TRACKING, 80)
    assert (verdict.allowed, verdict.reason()) == (
        False, "service default/tracking port 80/TCP has no backing pod (selector "
        "{'app': 'mlflow'}, targetPort http)")


def test_misses_say_which_rule_missed_on_what() -> None:
    policies = (DEFAULT_DENY_INGRESS, ingress_to_db("two", {"ports": [{"port": 1}]}, {
        "from": [{"podSelector": {"matchLabels": {"role": "nobody"}}}], "ports": [{"port": 2}]}))
    verdict = evaluate(inventory(*policies), FRONTEND, DB, 2)
    assert verdict.ingress is not None
    assert verdict.ingress.misses == (
        "default/default-deny-ingress: no ingress rules (denies all)",
        "default/two ingress rule 0: port not admitted",
        "default/two ingress rule 1: peer not admitted")


def test_union_is_per_direction_not_per_connection() -> None:
    """Neither policy alone lets frontend reach db (one blocks egress, the other ingress), but
    together each direction has its admitting rule: the union holds per direction only."""
    in_only = netpol("in-only", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                 "ingress": [{}]})
    out_only = netpol("out-only", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                   "egress": [{}]})
    alone = [evaluate(inventory(p), FRONTEND, DB, 80).allowed for p in (in_only, out_only)]
    together = evaluate(inventory(in_only, out_only), FRONTEND, DB, 80)
    assert alone == [False, False]
    assert together.reason() == f"{allowed_out('out-only')}; {allowed_in('in-only')}"


@pytest.mark.parametrize(("spec", "message"), [
    ({"podSelector": {}, "policyTypes": ["Sideways"]}, "'Sideways' is not Ingress or Egress"),
    ({"podSelector": {}, "ingress": [{"from": [{}]}]}, "needs podSelector, namespaceSelector "
     "or ipBlock"),
    ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"},
                                                "podSelector": {}}]}]},
     "ipBlock cannot be combined with selectors"),
    ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {
        "cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]}}]}]}, "10.1.0.0/24 is not inside"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": "http", "endPort": 90}]}]},
     "endPort: needs a numeric port"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": 90, "endPort": 80}]}]},
     "endPort: 80 must be in 90-65535"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": 70000}]}]}, "70000 is not in 1-65535"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]},
     "'ICMP' is not one of TCP, UDP, SCTP"),
    ({"podSelector": expressions({"key": "a", "operator": "In"})}, "In needs at least one"),
    ({"podSelector": expressions({"key": "a", "operator": "Exists", "values": ["x"]})},
     "Exists takes no values"),
    ({"podSelector": expressions({"key": "a", "operator": "Gt", "values": ["1"]})},
     "'Gt' is not one of In, NotIn, Exists, DoesNotExist"),
])
def test_invalid_policies_are_rejected_like_the_api_server(spec: dict[str, Any],
                                                           message: str) -> None:
    with pytest.raises(InvalidObject, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy(netpol("bad", spec))
