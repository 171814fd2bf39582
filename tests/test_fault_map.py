"""Every requirement proves it can fail: each has at least one self-test, marked
``@pytest.mark.fault(requirement, code)``, that breaks a real part so that the requirement's
check concludes that code; every marked code is one the requirement declares. The map is a
golden list, so a fault test that disappears is a visible change."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_conformance import catalog
from tests.inner_session import ROOT

GOLDEN = Path(__file__).parent / "golden" / "fault-tests.txt"


@pytest.fixture(scope="module")
def fault_map(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults") / "faults.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "tests.fault_map",
         "-p", "no:cacheprovider", "tests"], cwd=ROOT,
        env={**os.environ, "FAULT_MAP_OUT": str(out)}, capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [tuple(entry) for entry in json.loads(out.read_text())]


def test_the_fault_map_matches_its_golden_list(fault_map):
    actual = "".join(f"{rid} {code} {test}\n" for rid, code, test in fault_map)
    assert actual == GOLDEN.read_text(), (
        "the fault tests changed; if intended, write this into tests/golden/fault-tests.txt:\n"
        + actual)


def test_every_requirement_has_a_fault_test(fault_map):
    assert catalog.load().untested({rid for rid, _, _ in fault_map}) == []


def test_every_fault_code_is_one_its_requirement_declares(fault_map):
    # The transport codes (network and TLS) may end any check; the generic ones are no fault.
    known = catalog.load()
    wrong = [(rid, code, test) for rid, code, test in fault_map
             if rid not in known or code not in {*known[rid].diagnoses, *known.transport}]
    assert wrong == []
