"""The report commands of ``python -m mlflow_conformance``: render and diff.

Both work on results.json files alone (or the one inside a diagnostics bundle), so a report
can be re-analysed away from the cluster (a support engineer with an attachment, a CI job
comparing two runs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import baseline, gate, schema
from .outputs import HTML, write_html
from .results import RunResults

EXIT_CODES_HELP = "exit codes of a conformance run (pytest):\n" + "".join(
    f"  {code}  {meaning}\n" for code, meaning in sorted(gate.EXIT_CODES.items())) + (
    "`diff` exits 7 when NEW has new failures against OLD, 0 otherwise; `render` and `diff` "
    "exit 4 on an unreadable or invalid results file (a results.json or a diagnostics bundle), "
    "`analyze` and `redact` on a bundle they cannot read; `redact` also when --out is its "
    "input.")


class ResultsFileError(ValueError):
    pass


def add_parsers(sub: Any) -> None:
    render_cmd = sub.add_parser("render", help="rebuild report.html from a results.json")
    render_cmd.add_argument("results", metavar="RESULTS_JSON")
    render_cmd.add_argument("--out", metavar="FILE",
                            help="where to write (default: report.html beside RESULTS_JSON)")
    render_cmd.add_argument("--baseline", metavar="PATH",
                            help="show the changes since this earlier results.json at the top")
    diff_cmd = sub.add_parser("diff", help="classify each requirement's change from OLD to NEW "
                              "(new failure, still failing, fixed, ...)")
    diff_cmd.add_argument("old", metavar="OLD",
                          help="the baseline results.json (or a diagnostics bundle)")
    diff_cmd.add_argument("new", metavar="NEW",
                          help="the results.json to judge (or a diagnostics bundle)")
    diff_cmd.add_argument("--json", action="store_true", help="print the classification as JSON")


def read_results(path: str) -> tuple[RunResults, dict[str, Any]]:
    """A results.json as the model, after validation against the checked-in schema."""
    data = baseline.read_json(path, ResultsFileError)
    found = schema.problems(data, limit=5)
    if found:
        raise ResultsFileError(f"{path} does not match results.schema.json:\n  "
                               + "\n  ".join(found))
    return RunResults.from_dict(data), data


def render(args: argparse.Namespace) -> int:
    try:
        results, data = read_results(args.results)
        if args.baseline:
            results.baseline = baseline.compare(baseline.load(args.baseline), data,
                                                source=args.baseline)
    except (ResultsFileError, baseline.BaselineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return gate.EXIT_USAGE
    out = Path(args.out) if args.out else Path(args.results).with_name(HTML)
    write_html(results, out)
    print(f"{results.verdict}: wrote {out}")
    return 0


def diff(args: argparse.Namespace) -> int:
    try:
        old, new = baseline.load(args.old), baseline.load(args.new)
    except baseline.BaselineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return gate.EXIT_USAGE
    result = baseline.compare(old, new, source=args.old)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{old.get('run_id')} -> {new.get('run_id')}: {baseline.summary_line(result)}")
        for line in baseline.change_lines(result):
            print(line)
    return gate.EXIT_REGRESSED if result["new_failures"] else gate.EXIT_CONFORMANT
