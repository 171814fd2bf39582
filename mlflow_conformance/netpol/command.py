"""`netpol explain --from NS/labels --to NS/labels --port N FILES...`: why a connection is or
is not allowed by the NetworkPolicies in manifest files (a support bundle, `helm template`
output), without a cluster. Exit 0 allowed, 1 denied, 4 bad input."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .errors import InvalidObject
from .explain import explain
from .model import PROTOCOLS
from .spec import SpecError

EXIT_ALLOWED, EXIT_DENIED = 0, 1


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "netpol", help="NetworkPolicy reachability from manifest files, without a cluster")
    actions = parser.add_subparsers(dest="netpol_command", required=True)
    explain_parser = actions.add_parser(
        "explain", help="whether a pod may connect to another pod or a Service, and the rule "
        "that decides it (exit 0 allowed, 1 denied, 4 bad input)")
    explain_parser.add_argument("--from", dest="source", required=True, metavar="NS/LABELS",
                                help="the source: NS/key=value,key2=value (labels optional), "
                                "or an IP address outside the cluster")
    explain_parser.add_argument("--to", dest="destination", required=True, metavar="NS/LABELS",
                                help="the destination: NS/key=value,..., NS/service:NAME, or "
                                "an IP address")
    explain_parser.add_argument("--port", type=int, required=True, metavar="N",
                                help="the destination port (a Service's port for a Service)")
    explain_parser.add_argument("--protocol", default="TCP", choices=PROTOCOLS)
    explain_parser.add_argument("--namespace", default="default", metavar="NS",
                                help="the namespace of objects that name none (helm template "
                                "without --namespace) [default]")
    explain_parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    explain_parser.add_argument("files", nargs="+", metavar="FILES",
                                help="YAML or JSON manifests (multi-document, Lists)")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..report.gate import EXIT_USAGE

    try:
        verdict, lines = explain(args.source, args.destination, args.port, args.files,
                                 args.protocol, args.namespace)
    except (SpecError, InvalidObject) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: cannot read {exc.filename or 'a file'}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(verdict.to_json(), indent=2) if args.json else "\n".join(lines))
    return EXIT_ALLOWED if verdict.allowed else EXIT_DENIED
