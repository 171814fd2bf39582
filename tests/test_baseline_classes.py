"""Baseline comparison: every change class, the regression rule, the `diff` command, and
--baseline in a real run (results.json, terminal summary, top of the HTML)."""

from __future__ import annotations

import json

import pytest

from mlflow_conformance.cli import main
from mlflow_conformance.report import baseline, gate
from tests.test_report_inner_run import inner_run, outcome_suite


@pytest.mark.parametrize(("before", "after", "expected"), [
    ("pass", "fail", "new_failure"),
    ("skip", "error", "new_failure"),  # could not check now: not proof it still holds
    ("warn", "fail", "new_failure"),
    (None, "fail", "new_failure"),  # a new requirement that fails is a new failure
    ("fail", "fail", "still_failing"),
    ("fail", "error", "still_failing"),
    ("error", "pass", "fixed"),
    ("fail", "warn", "fixed"),
    ("fail", "skip", "not_rechecked"),  # skipping a check must not look like fixing it
    (None, "pass", "new_requirement"),
    (None, "skip", "new_requirement"),
    ("pass", None, "removed"),
    ("pass", "pass", "unchanged"),
    ("pass", "skip", "unchanged"),
    ("skip", "warn", "unchanged"),
])
def test_classify(before, after, expected):
    assert baseline.classify(before, after) == expected


def _results(**outcomes):
    return {"schema_version": "1.0", "run_id": "r", "requirements": [
        {"id": rid.replace("_", "-"), "title": f"title {rid}", "outcome": outcome,
         "codes": [] if outcome == "pass" else ["timeout"]} for rid, outcome in outcomes.items()]}


def test_compare_counts_every_class_and_lists_new_failures():
    old = _results(A_001="pass", A_002="fail", A_003="fail", A_004="pass", A_005="fail",
                   A_006="pass")
    new = _results(A_001="fail", A_002="fail", A_003="pass", A_004="pass", A_005="skip",
                   A_007="pass", A_008="error")
    diff = baseline.compare(old, new, source="old.json")
    assert diff["counts"] == {"new_failure": 2, "still_failing": 1, "not_rechecked": 1,
                              "fixed": 1, "new_requirement": 1, "removed": 1, "unchanged": 1}
    assert diff["new_failures"] == ["A-001", "A-008"]
    assert [c["class"] for c in diff["changes"]][:2] == ["new_failure", "new_failure"]
    assert diff["changes"][0]["codes_after"] == ["timeout"]
    assert baseline.summary_line(diff).startswith("2 new failures, 1 still failing")


def test_diff_command_prints_the_classes_and_exits_7_on_new_failures(tmp_path, capsys):
    (tmp_path / "old.json").write_text(json.dumps(_results(A_001="pass", A_002="fail")))
    (tmp_path / "new.json").write_text(json.dumps(_results(A_001="fail", A_002="pass")))
    code = main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")])
    out = capsys.readouterr().out
    assert code == gate.EXIT_REGRESSED
    assert "1 new failure, 1 fixed" in out
    assert "NEW FAILURE     A-001      pass -> fail  [timeout] title A_001" in out
    assert main(["diff", str(tmp_path / "new.json"), str(tmp_path / "old.json"), "--json"]) == 7
    assert json.loads(capsys.readouterr().out)["counts"]["fixed"] == 1
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "old.json")]) == 0


def test_diff_command_refuses_what_is_not_a_results_file(tmp_path, capsys):
    (tmp_path / "bad.json").write_text('{"hello": 1}')
    assert main(["diff", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]) == 4
    assert "not a conformance results.json (no 'schema_version'" in capsys.readouterr().err


def test_a_run_with_a_baseline_records_shows_and_prints_the_classes(pytester):
    first, old_dir = inner_run(pytester, outcome_suite({"NET-001": "pass", "NET-002": "fail",
                                                 "NET-003": "fail", "NET-004": "pass"}))
    assert first.ret == 1
    old = pytester.path / "old-results.json"
    data = json.loads((old_dir / "results.json").read_text())
    data["requirements"] = [r for r in data["requirements"] if r["id"] != "NET-005"]
    old.write_text(json.dumps(data))  # an older catalog without NET-005

    second, new_dir = inner_run(pytester, outcome_suite({
        "NET-001": "fail", "NET-002": "fail", "NET-003": "pass", "NET-004": "pass",
        "NET-005": "pass"}), f"--baseline={old}")
    assert second.ret == 1  # --fail-on must: the verdict decides
    diff = json.loads((new_dir / "results.json").read_text())["baseline"]
    classes = {c["id"]: c["class"] for c in diff["changes"]}
    assert {k: classes[k] for k in ("NET-001", "NET-002", "NET-003", "NET-004", "NET-005")} == {
        "NET-001": "new_failure", "NET-002": "still_failing", "NET-003": "fixed",
        "NET-004": "unchanged", "NET-005": "new_requirement"}
    assert diff["source"] == str(old)
    second.stdout.fnmatch_lines([
        f"baseline {data['run_id']} ({old}): 1 new failure, 1 still failing, 1 fixed, "
        "1 new requirement, * unchanged",
        "  NEW FAILURE     NET-001    pass -> fail  ?timeout? Tracking host resolves in DNS",
        "  STILL FAILING   NET-002    fail -> fail  ?timeout? *",
        "  FIXED           NET-003    fail -> pass  ?timeout? *",  # the code it had
    ])
    page = (new_dir / "report.html").read_text()
    assert page.index('<section id="baseline">') < page.index('<section id="attention">')
