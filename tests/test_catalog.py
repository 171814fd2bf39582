"""The catalog is data guarded by golden lists; every requirement has a test and every
test names known requirements."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_conformance import catalog
from tests.inner_session import ROOT

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def requirement_map(tmp_path_factory):
    out = tmp_path_factory.mktemp("map") / "map.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "tests.requirement_map",
         "suites"], cwd=ROOT, env={**os.environ, "REQUIREMENT_MAP_OUT": str(out)},
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("stem", sorted(catalog.ids_by_file()))
def test_catalog_matches_its_golden_list(stem):
    known = catalog.load()
    expected = (GOLDEN / f"catalog-{stem}.txt").read_text() if (
        GOLDEN / f"catalog-{stem}.txt").exists() else "(no golden file)"
    actual = known.golden(catalog.ids_by_file()[stem])
    assert actual == expected, (
        f"catalog/{stem}.toml changed without tests/golden/catalog-{stem}.txt; if the change "
        f"is intended, write this into the golden file:\n{actual}")


def test_every_requirement_has_a_test(requirement_map):
    tested = {rid for ids in requirement_map.values() for rid in ids}
    assert catalog.load().untested(tested) == []


def test_every_suite_test_names_a_requirement(requirement_map):
    assert [node for node, ids in requirement_map.items() if not ids] == []


def test_untested_requirement_is_reported():
    text = {"core.toml": (catalog.CATALOG_DIR / "core.toml").read_text(), "x.toml": """
[[requirements]]
id = "XYZ-001"
area = "x"
title = "t"
statement = "s"
severity = "must"
promises = ["P1.1"]
footprint = "read-only"
remediation = "r"
check = "x:y"
diagnoses = ["ok"]
"""}
    assert catalog.parse(text).untested([]) == ["XYZ-001"]


@pytest.mark.parametrize(("field", "value", "error"), [
    ("severity", '"sometimes"', "severity"),
    ("footprint", '"writes-everything"', "footprint"),
    ("diagnoses", '["made_up_code"]', "not in the vocabulary"),
    ("check", None, "lacks 'check'"),
    ("check", '"spark.udf.check"', "is not module:name"),
])
def test_bad_catalog_entries_are_rejected(field, value, error):
    entry = {"id": '"XYZ-001"', "area": '"x"', "title": '"t"', "statement": '"s"',
             "severity": '"must"', "promises": '["P1.1"]', "footprint": '"read-only"',
             "remediation": '"r"', "diagnoses": '["ok"]', "check": '"spark.udf:check"',
             field: value}
    body = "[[requirements]]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items()
                                          if v is not None)
    with pytest.raises(catalog.CatalogError, match=error):
        catalog.parse({"core.toml": (catalog.CATALOG_DIR / "core.toml").read_text(),
                       "x.toml": body})


def test_unknown_requirement_in_a_suite_is_a_usage_error(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.requirement("NOPE-999")
        def test_x(check):
            pass
    """)
    # A subprocess: pytest prints usage errors outside the in-process capture.
    result = pytester.runpytest_subprocess("--collect-only", "--tracking-uri", "http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*names unknown requirement(s)*NOPE-999*"])
