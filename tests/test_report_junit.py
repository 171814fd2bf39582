"""junit.xml carries requirement IDs and diagnosis codes as properties of each testcase."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from mlflow_conformance.findings import Outcome
from mlflow_conformance.report.junit import write_junit
from tests.test_results_model import synthetic_results


def _cases(tmp_path, results):
    path = tmp_path / "junit.xml"
    write_junit(results, path)
    root = ET.parse(path).getroot()  # noqa: S314 - our own file
    return root, {c.get("name"): c for c in root.iter("testcase")}


def _props(case):
    return [(p.get("name"), p.get("value")) for p in case.find("properties")]


def test_each_outcome_maps_to_junit_and_properties_name_requirement_and_code(tmp_path):
    results = synthetic_results(20)
    root, cases = _cases(tmp_path, results)
    suite = root.find("testsuite")
    assert suite.get("tests") == "20"
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "1")
    assert ("verdict", results.verdict) in _props(suite)
    by_outcome = {t.outcome: t for t in results.tests}
    expected_child = {Outcome.FAIL: "failure", Outcome.ERROR: "error", Outcome.SKIP: "skipped",
                      Outcome.WARN: "system-out", Outcome.PASS: None}
    for outcome, test in by_outcome.items():
        case = cases[test.nodeid.rsplit("::", 1)[1]]
        assert case.get("classname") == "suites." + test.nodeid.split(".py")[0].split("/")[1]
        props = _props(case)
        assert ("requirement", test.requirements[0]) in props
        assert ("diagnosis", test.code) in props
        assert ("outcome", outcome.value) in props
        children = [c.tag for c in case if c.tag != "properties"]
        assert children == ([expected_child[outcome]] if expected_child[outcome] else [])
    failure = cases[by_outcome[Outcome.FAIL].nodeid.rsplit("::", 1)[1]].find("failure")
    assert failure.get("type") == "timeout"
    assert "remedy: Raise the timeout" in failure.text


def test_a_check_with_several_requirements_lists_each(tmp_path):
    results = synthetic_results(3)
    results.tests[0].requirements = ["SYN-0000", "SYN-0001"]
    _, cases = _cases(tmp_path, results)
    props = _props(cases[results.tests[0].nodeid.rsplit("::", 1)[1]])
    assert [v for n, v in props if n == "requirement"] == ["SYN-0000", "SYN-0001"]


def test_control_characters_do_not_break_the_xml(tmp_path):
    results = synthetic_results(1)
    results.tests[0].finding = replace(
        results.tests[0].finding, outcome=Outcome.FAIL,
        message="colour \x1b[31mred\x1b[0m and a NUL \x00 & <tag>")
    _, cases = _cases(tmp_path, results)
    failure = next(iter(cases.values())).find("failure")
    assert "red" in failure.get("message")
    assert "<tag>" in failure.get("message")
