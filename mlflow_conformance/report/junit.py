"""junit.xml from the results model, for CI systems that show test results.

Each check is a testcase whose <properties> name the requirement IDs (one property each),
the diagnosis code and the harness outcome; fail is <failure>, error (the harness could not
check) is <error>, skip is <skipped>, and warn passes with its outcome as a property.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..findings import Outcome
from .results import RunResults, TestResult

EVIDENCE_CHARS = 4000
# Characters XML 1.0 cannot carry at all (a terminal escape in a message would break the file).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _names(nodeid: str) -> tuple[str, str]:
    """(classname, name) the way pytest's own junit.xml spells them."""
    path, _, name = nodeid.partition("::")
    module = path.removesuffix(".py").replace("/", ".")
    if "::" in name:  # a test in a class
        klass, _, name = name.rpartition("::")
        module = f"{module}.{klass.replace('::', '.')}"
    return module, name or path


def _testcase(test: TestResult, severities: dict[str, str]) -> ET.Element:
    classname, name = _names(test.nodeid)
    case = ET.Element("testcase", classname=classname, name=name, time=f"{test.duration:.3f}")
    props = ET.SubElement(case, "properties")
    for rid in test.requirements:
        ET.SubElement(props, "property", name="requirement", value=rid)
        ET.SubElement(props, "property", name=f"severity:{rid}", value=severities.get(rid, ""))
    ET.SubElement(props, "property", name="diagnosis", value=test.code)
    ET.SubElement(props, "property", name="outcome", value=test.outcome.value)
    message = _xml(f"[{test.code}] {test.message}")
    detail = _xml(f"{test.message}\nremedy: {test.remedy}\nevidence: "
                  f"{json.dumps(test.evidence, sort_keys=True, default=str)[:EVIDENCE_CHARS]}")
    if test.outcome is Outcome.FAIL:
        ET.SubElement(case, "failure", message=message, type=test.code).text = detail
    elif test.outcome is Outcome.ERROR:
        ET.SubElement(case, "error", message="could not check " + message,
                      type=test.code).text = detail
    elif test.outcome is Outcome.SKIP:
        ET.SubElement(case, "skipped", message=message, type=test.code)
    elif test.outcome is Outcome.WARN:
        ET.SubElement(case, "system-out").text = f"warning {message}\n{detail}"
    return case


def junit_tree(results: RunResults) -> ET.ElementTree:
    counts = results.summary()["tests"]
    total = sum(t.duration for t in results.tests)
    root = ET.Element("testsuites", name="mlflow-conformance", tests=str(len(results.tests)),
                      failures=str(counts["fail"]), errors=str(counts["error"]),
                      skipped=str(counts["skip"]), time=f"{total:.3f}")
    suite = ET.SubElement(root, "testsuite", name="mlflow-conformance",
                          tests=str(len(results.tests)), failures=str(counts["fail"]),
                          errors=str(counts["error"]), skipped=str(counts["skip"]),
                          time=f"{total:.3f}", timestamp=results.started)
    props = ET.SubElement(suite, "properties")
    for name, value in (("verdict", results.verdict), ("run_id", results.run_id),
                        ("harness_version", results.harness_version),
                        ("target", str(results.target.get("kind", ""))),
                        ("tracking_uri", str(results.target.get("tracking_uri") or ""))):
        ET.SubElement(props, "property", name=name, value=value)
    severities = {r.id: r.severity for r in results.requirements}
    suite.extend(_testcase(t, severities) for t in results.tests)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(results: RunResults, path: Path) -> None:
    junit_tree(results).write(path, encoding="utf-8", xml_declaration=True)
