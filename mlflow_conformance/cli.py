"""`mlflow-conformance COMMAND` (or `python -m mlflow_conformance COMMAND`).

  run [PYTEST ARGS]           a conformance run of the shipped suites, from any folder
  stack up|down|status        keep the embedded reference stack running between runs
  render RESULTS [--out F]    rebuild report.html from a results.json (away from the cluster)
  diff OLD NEW                classify each requirement's change between two results.json
                              (or diagnostics bundles)
  analyze BUNDLE [--out DIR]  re-render a diagnostics bundle's report and print its verdict
  redact BUNDLE [--out NEW]   redact a diagnostics bundle into a new file, never in place
  sweep                       find and remove what interrupted runs left behind
  netpol explain ...          NetworkPolicy reachability from manifest files, no cluster
  rbac [--profile smoke]      the minimal Role/RoleBinding for --cluster, as YAML
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from mlflow_conformance.bundle import commands as bundle_commands
from mlflow_conformance.cleanup import sweep
from mlflow_conformance.cluster import rbac
from mlflow_conformance.netpol import command as netpol_command
from mlflow_conformance.report import commands as report_commands
from mlflow_conformance.stack import lifecycle as local_stack

from . import progress
from .options import ARTIFACT_MODES, OPTIONS_BY_NAME
from .report import gate
from .stack.process import StackError


def _stack(args: argparse.Namespace) -> int:
    running = local_stack.find_running()
    orphans = local_stack.find_orphans()
    for orphan in orphans:
        print(f"orphaned stack of a dead run (pid {orphan.owner}) at {orphan.tracking_uri}, "
              f"{orphan.workdir}: `stack down` stops it", file=sys.stderr)
    if args.action == "status":
        if running is None:
            print("no stack kept running (start one with: python -m mlflow_conformance stack up)")
            return 1
        print(json.dumps({"tracking_uri": running.tracking_uri, "s3_endpoint": running.s3_endpoint,
                          "artifact_mode": running.artifact_mode, "workdir": running.workdir,
                          "processes": [p.to_dict() for p in running.processes]}, indent=2))
        return 0
    if args.action == "down":
        for orphan in local_stack.stop_orphans():
            print(f"stopped the orphaned stack at {orphan.tracking_uri}")
        if running is None:
            print("no stack kept running")
            return 0
        local_stack.stop(running)
        print(f"stopped the stack at {running.tracking_uri}")
        return 0
    if running is not None:
        print(f"a stack is already running at {running.tracking_uri}")
        return 0
    # Its steps on stderr, one line each: stdout stays the line that says where the stack is.
    with progress.installed(progress.LineSink(sys.stderr)):
        state = local_stack.start(args.artifact_mode)
    local_stack.keep(state)
    print(f"stack up: tracking {state.tracking_uri}, S3 {state.s3_endpoint}. pytest runs reuse "
          "it; stop it with: python -m mlflow_conformance stack down")
    return 0


def run_suites(pytest_args: Sequence[str]) -> int:
    """A conformance run of the suites installed with the package, rooted where the user is
    (reports land in ./reports unless --report-dir says otherwise)."""
    import pytest

    from .fixtures.plugin import join_path_values

    args = join_path_values(list(pytest_args))
    # What the checkout's pytest.ini sets, for a folder that has none.
    defaults = ["--rootdir", os.getcwd(), "-p", "no:cacheprovider", "-o", "xfail_strict=true",
                "-W", "ignore::DeprecationWarning"]
    names_tests = any(a.startswith("mlflow_conformance.suites") or a.endswith(".py") or "::" in a
                      for a in args if not a.startswith("-"))
    suites = [] if names_tests else ["mlflow_conformance.suites"]
    return int(pytest.main([*defaults, "--pyargs", *args, *suites]))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "stack": _stack, "render": report_commands.render, "diff": report_commands.diff,
    "sweep": sweep.run, "netpol": netpol_command.run, "rbac": rbac.run,
    "analyze": bundle_commands.analyze, "redact": bundle_commands.redact}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 4 like a conformance run's (argparse says 2, which a
    run uses for "interrupted"). Sub-command parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(gate.EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlflow-conformance",
                                     description="MLflow-on-Ilum conformance harness. `run` is a "
                                     "conformance run (as `pytest` in the checkout); the other "
                                     "commands work outside a run.",
                                     epilog=report_commands.EXIT_CODES_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the shipped conformance suites here (any pytest arguments "
                   "and harness options follow, e.g. `run --profile smoke -k connectivity`)",
                   add_help=False)
    stack = sub.add_parser("stack", help="keep the embedded reference stack running")
    stack.add_argument("action", choices=("up", "down", "status"))
    mode = OPTIONS_BY_NAME["artifact-mode"]
    stack.add_argument("--artifact-mode", choices=ARTIFACT_MODES, default=mode.default,
                       help=mode.help)
    report_commands.add_parsers(sub)
    bundle_commands.add_parsers(sub)
    sweep.add_parser(sub)
    netpol_command.add_parser(sub)
    rbac.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["run"]:
        return run_suites(words[1:])  # everything after `run` is pytest's
    args = build_parser().parse_args(words)
    try:
        return COMMANDS[args.command](args)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return gate.EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
