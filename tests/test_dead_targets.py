"""Dead and hung tracking servers give a complete report in seconds, blaming the target.

The real suites run, as a user runs them, against a tracking URI whose host does not resolve,
whose port is closed, or whose port accepts connections and never answers (an overloaded
server, one stuck on a database lock); S3 is the test stack's, so the storage checks still
run for real. Connectivity fails within its bound and every check that needs the server ends
at once as `blocked`, naming the failed requirement; none is a harness error, none passes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from tests.fault_servers import closed_port, silent_server
from tests.inner_session import ROOT
from tests.registry_helpers import suite_env, target_args

# The bounds on 2 cores with the default --probe-timeout (3 s per step), and a margin
# for a loaded machine: the figures measured here are 9-12 s.
BOUND_FAILED_FAST, BOUND_HUNG = 20.0, 30.0
MARGIN = 1.5


@contextmanager
def unresolvable_uri() -> Iterator[str]:
    yield "http://mlflow-tracking.invalid:5000"  # .invalid never resolves (RFC 6761)


@contextmanager
def closed_uri() -> Iterator[str]:
    yield f"http://127.0.0.1:{closed_port()}"


@contextmanager
def silent_uri() -> Iterator[str]:
    with silent_server() as port:
        yield f"http://127.0.0.1:{port}"


CASES: dict[str, tuple[Callable[[], AbstractContextManager[str]], str, str, float]] = {
    "unresolvable": (unresolvable_uri, "NET-001", "dns_unresolvable", BOUND_FAILED_FAST),
    "closed": (closed_uri, "NET-002", "connection_refused", BOUND_FAILED_FAST),
    "hung": (silent_uri, "NET-003", "timeout", BOUND_HUNG),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_dead_or_hung_server_gets_a_complete_report_in_seconds(deployment, tmp_path, case):
    target, failed, code, bound = CASES[case]
    with target() as tracking_uri:
        env = suite_env(deployment, tmp_path)
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
             *target_args(deployment, tracking_uri), "--report-dir", str(tmp_path / "report")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        seconds = time.monotonic() - began
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    by_requirement = {t["requirements"][0]: t for t in results["tests"]}
    assert (by_requirement[failed]["outcome"], by_requirement[failed]["code"]) == ("fail", code)
    blocked = {rid: t for rid, t in by_requirement.items() if t["code"] == "blocked"}
    # Everything that talks to the tracking server is blocked, and says by what.
    for area in ("TRK-", "REG-", "SPK-00", "SPK-03", "CMP-001", "STO-004", "STO-005"):
        assert [rid for rid in by_requirement if rid.startswith(area)
                and rid not in blocked] == [], area
    assert {t["evidence"]["blocked_by"] for t in blocked.values()} == {failed}
    assert {t["outcome"] for t in blocked.values()} == {"error"}
    assert all(failed in t["message"] and code in t["message"] for t in blocked.values())
    # The target's failure is never the harness's, and nothing unverified passes.
    assert [(rid, t["code"]) for rid, t in by_requirement.items()
            if t["code"] in ("harness_error", "no_verdict")] == []
    # Checks that do not need the tracking server still ran: S3 from driver and executors.
    assert by_requirement["STO-001"]["code"] == "ok"
    assert by_requirement["STO-002"]["code"] == "ok"
    assert seconds < bound * MARGIN, f"{case}: the report took {seconds:.1f} s"
    assert f"report: {(tmp_path / 'report' / 'report.html').resolve()}" in done.stdout
