"""`python -m mlflow_conformance render`: report.html again from a results.json alone."""

from __future__ import annotations

import json
import subprocess
import sys

from mlflow_conformance.cli import main
from mlflow_conformance.findings import Outcome
from mlflow_conformance.redact import Redactor
from mlflow_conformance.report import gate
from mlflow_conformance.report.outputs import write_reports
from tests.inner_session import ROOT
from tests.test_report_inner_run import MIXED_SUITE, inner_run
from tests.test_results_model import synthetic_results


def test_render_rebuilds_the_same_page_a_run_wrote(pytester, capsys):
    _, report_dir = inner_run(pytester, MIXED_SUITE)
    written = (report_dir / "report.html").read_text()
    (report_dir / "report.html").unlink()
    assert main(["render", str(report_dir / "results.json")]) == 0
    assert (report_dir / "report.html").read_text() == written
    assert capsys.readouterr().out.splitlines()[-1].startswith("NOT CONFORMANT: wrote ")


def test_render_with_out_and_baseline(tmp_path, capsys):
    old, new = synthetic_results(10), synthetic_results(10)
    new.requirements[4].outcome = Outcome.FAIL  # passed in the old run
    write_reports(old, tmp_path / "old", Redactor())
    write_reports(new, tmp_path / "new", Redactor())
    out = tmp_path / "elsewhere.html"
    assert main(["render", str(tmp_path / "new" / "results.json"), "--out", str(out),
                 "--baseline", str(tmp_path / "old" / "results.json")]) == 0
    page = out.read_text()
    assert '<section id="baseline">' in page
    assert f'new failure</span></td><td><b>{new.requirements[4].id}</b>' in page


def test_render_refuses_a_file_that_does_not_match_the_schema(tmp_path, capsys):
    data = synthetic_results(2).to_dict()
    data["tests"][0]["outcome"] = "green"
    (tmp_path / "results.json").write_text(json.dumps(data))
    assert main(["render", str(tmp_path / "results.json")]) == gate.EXIT_USAGE
    assert "tests/0/outcome: 'green' is not one of" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
    assert main(["render", str(tmp_path / "missing.json")]) == gate.EXIT_USAGE


def test_the_commands_and_exit_codes_are_in_the_help():
    done = subprocess.run([sys.executable, "-m", "mlflow_conformance", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    assert "{run,stack,render,diff,redact,analyze,sweep,netpol,rbac}" in done.stdout
    for code, meaning in gate.EXIT_CODES.items():
        assert f"  {code}  {meaning}" in done.stdout


def test_every_command_exits_4_on_a_usage_error(tmp_path, monkeypatch, capsys):
    """The utility commands speak the run's exit codes: 4 is a usage error (argparse's own 2
    would read as "interrupted")."""
    monkeypatch.setenv("MLFLOW_CONFORMANCE_STACK_POINTER", str(tmp_path / "no-stack"))
    for argv, says in ((["frobnicate"], "invalid choice"),
                       (["stack", "sideways"], "invalid choice"),
                       (["diff", "only-one.json"], "required"),
                       (["sweep", "--tracking-uri", "no-scheme"], "scheme"),
                       (["sweep"], "no stack is kept up")):
        code: int | str | None
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        assert code == gate.EXIT_USAGE, argv
        assert says in capsys.readouterr().err, argv
