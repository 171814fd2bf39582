"""`python -m mlflow_conformance COMMAND`: what runs outside a pytest session.

  stack up|down|status        keep the embedded reference stack running between runs
  render RESULTS [--out F]    rebuild report.html from a results.json (away from the cluster)
  diff OLD NEW                classify each requirement's change between two results.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from . import sweep
from .options import ARTIFACT_MODES, OPTIONS_BY_NAME
from .report import gate, report_commands
from .stack import stack as local_stack
from .stack.process import StackError


def _stack(args: argparse.Namespace) -> int:
    running = local_stack.find_running()
    if args.action == "status":
        if running is None:
            print("no stack kept running (start one with: python -m mlflow_conformance stack up)")
            return 1
        print(json.dumps({"tracking_uri": running.tracking_uri, "s3_endpoint": running.s3_endpoint,
                          "artifact_mode": running.artifact_mode, "workdir": running.workdir,
                          "processes": [p.to_dict() for p in running.processes]}, indent=2))
        return 0
    if args.action == "down":
        if running is None:
            print("no stack kept running")
            return 0
        local_stack.stop(running)
        print(f"stopped the stack at {running.tracking_uri}")
        return 0
    if running is not None:
        print(f"a stack is already running at {running.tracking_uri}")
        return 0
    state = local_stack.start(args.artifact_mode, progress=lambda m: print(m, flush=True))
    local_stack.keep(state)
    print(f"stack up: tracking {state.tracking_uri}, S3 {state.s3_endpoint}. pytest runs reuse "
          "it; stop it with: python -m mlflow_conformance stack down")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "stack": _stack, "render": report_commands.render, "diff": report_commands.diff,
    "sweep": sweep.run}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 4 like a conformance run's (argparse says 2, which a
    run uses for "interrupted"). Sub-command parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(gate.EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mlflow_conformance",
                                     description="MLflow-on-Ilum conformance harness utilities. "
                                     "Conformance runs themselves are `pytest` (see README).",
                                     epilog=report_commands.EXIT_CODES_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    stack = sub.add_parser("stack", help="keep the embedded reference stack running")
    stack.add_argument("action", choices=("up", "down", "status"))
    mode = OPTIONS_BY_NAME["artifact-mode"]
    stack.add_argument("--artifact-mode", choices=ARTIFACT_MODES, default=mode.default,
                       help=mode.help)
    report_commands.add_parsers(sub)
    sweep.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return gate.EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
