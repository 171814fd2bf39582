"""The algebra of NetworkPolicies, over generated policies (as the API writes them), pods and
connections: no policies allow everything; adding a policy widens a direction at most to the
union; a policy without ingress rules denies all ingress to the pods it selects."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlflow_conformance.netpol.evaluate import decide, evaluate
from mlflow_conformance.netpol.inventory import Inventory
from mlflow_conformance.netpol.model import External, Namespace, Pod
from mlflow_conformance.netpol.policy import EGRESS, INGRESS, NetworkPolicy, parse_policy

NAMESPACES = [Namespace("a", {"env": "prod"}), Namespace("b", {"env": "dev"}), Namespace("c")]
PORTS = {"http": (5000, "TCP"), "dns": (53, "UDP")}
PODS = [Pod(ns.name, f"p{i}", labels, f"10.{n}.0.{i}", PORTS if i % 2 else {})
        for n, ns in enumerate(NAMESPACES)
        for i, labels in enumerate([{}, {"app": "x"}, {"app": "y", "tier": "db"},
                                    {"tier": "web"}])]
ENDPOINTS = [*PODS, External("192.168.1.1"), External("10.1.0.2")]

keys, values = st.sampled_from(["app", "tier", "env"]), st.sampled_from(["x", "y", "db", "web",
                                                                          "prod", "dev"])
expression = st.one_of(
    st.fixed_dictionaries({"key": keys, "operator": st.sampled_from(["In", "NotIn"]),
                           "values": st.lists(values, min_size=1, max_size=2)}),
    st.fixed_dictionaries({"key": keys,
                           "operator": st.sampled_from(["Exists", "DoesNotExist"])}))
selector = st.fixed_dictionaries({}, optional={
    "matchLabels": st.dictionaries(keys, values, max_size=2),
    "matchExpressions": st.lists(expression, max_size=2)})
peer = st.one_of(
    st.fixed_dictionaries({"podSelector": selector}),
    st.fixed_dictionaries({"namespaceSelector": selector}),
    st.fixed_dictionaries({"podSelector": selector, "namespaceSelector": selector}),
    st.fixed_dictionaries({"ipBlock": st.sampled_from([
        {"cidr": "10.0.0.0/8"}, {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]},
        {"cidr": "192.168.0.0/16"}])}))
port: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}), st.fixed_dictionaries({"port": st.sampled_from([53, 80, 5000, "http", "dns"])},
                                       optional={"protocol": st.sampled_from(["TCP", "UDP"])}),
    st.sampled_from([{"port": 50, "endPort": 60}, {"port": 4990, "endPort": 5010},
                     {"port": 50, "endPort": 5000}]),
    st.fixed_dictionaries({"protocol": st.sampled_from(["UDP", "SCTP"])}))


def rules(peers_key: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    rule = st.fixed_dictionaries({}, optional={peers_key: st.lists(peer, max_size=2),
                                               "ports": st.lists(port, max_size=2)})
    return st.lists(rule, max_size=2)


@st.composite
def policies(draw: st.DrawFn, name: str = "p", with_ingress: bool = True
             ) -> NetworkPolicy:
    spec: dict[str, Any] = {"podSelector": draw(selector)}
    if with_ingress and draw(st.booleans()):
        spec["ingress"] = draw(rules("from"))
    if draw(st.booleans()):
        spec["egress"] = draw(rules("to"))
    types = draw(st.one_of(st.none(), st.sampled_from([["Ingress"], ["Egress"],
                                                       ["Ingress", "Egress"]])))
    if not with_ingress:
        types = ["Egress"]  # never isolates for ingress
    if types is not None:
        spec["policyTypes"] = types
    namespace = draw(st.sampled_from([n.name for n in NAMESPACES]))
    return parse_policy({"kind": "NetworkPolicy", "spec": spec,
                         "metadata": {"name": name, "namespace": namespace}})


@st.composite
def policy_sets(draw: st.DrawFn) -> list[NetworkPolicy]:
    count = draw(st.integers(0, 3))
    return [draw(policies(f"old-{i}")) for i in range(count)]


connection = st.tuples(st.sampled_from(ENDPOINTS), st.sampled_from(ENDPOINTS),
                       st.sampled_from([53, 55, 80, 5000, 5005]),
                       st.sampled_from(["TCP", "UDP", "SCTP"]))


def world(policy_list: list[NetworkPolicy]) -> Inventory:
    return Inventory.of(policy_list, PODS, NAMESPACES)


@given(connection)
def test_no_policies_allow_everything(conn: tuple[Any, Any, int, str]) -> None:
    verdict = evaluate(world([]), *conn)
    assert verdict.allowed
    assert all(not d.isolated for d in (verdict.egress, verdict.ingress) if d is not None)


@settings(max_examples=300)
@given(policy_sets(), policies("new"), connection)
def test_adding_a_policy_widens_a_direction_at_most_to_the_union(
        old: list[NetworkPolicy], new: NetworkPolicy, conn: tuple[Any, Any, int, str]) -> None:
    """Per direction. For a whole connection the union does not hold: one policy may admit
    the egress and another the ingress (test_netpol_cases' counterexample)."""
    source, destination, number, protocol = conn
    for subject, direction, other in ((destination, INGRESS, source),
                                      (source, EGRESS, destination)):
        if not isinstance(subject, Pod):
            continue
        both, before, alone = (decide(world(p), subject, direction, other, number, protocol,
                                      destination) for p in ([*old, new], old, [new]))
        if both.allowed:
            assert before.allowed or alone.allowed
        if before.isolated and before.allowed:  # once isolated, more policies only add rules
            assert both.allowed


@settings(max_examples=200)
@given(policies("deny"), st.lists(policies("egress", with_ingress=False), max_size=2),
       st.sampled_from(ENDPOINTS), st.sampled_from([53, 80, 5000]),
       st.sampled_from(["TCP", "UDP"]))
def test_a_policy_without_ingress_rules_denies_all_ingress_to_its_pods(
        deny: NetworkPolicy, others: list[NetworkPolicy], source: Any, number: int,
        protocol: str) -> None:
    deny = NetworkPolicy(deny.namespace, deny.name, deny.pod_selector,
                         deny.policy_types | {INGRESS}, (), deny.egress)
    inventory = world([deny, *others])
    for pod in PODS:
        verdict = evaluate(inventory, source, pod, number, protocol)
        selected = pod.namespace == deny.namespace and deny.pod_selector.matches(pod.labels)
        assert verdict.ingress is not None
        assert verdict.ingress.allowed is not selected
        if selected:
            assert not verdict.allowed
            assert verdict.ingress.selecting == (deny.key,)
            assert verdict.ingress.misses == (f"{deny.key}: no ingress rules (denies all)",)
