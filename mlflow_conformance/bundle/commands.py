"""``redact BUNDLE [--out NEW]`` and ``analyze BUNDLE [--out DIR]``: bundles away from the run.

``redact`` knows none of the original run's secrets, so it applies the Redactor's pattern
rules (secret-looking names, URI passwords, bearer and basic credentials, private keys) to
every file; it writes a new bundle and never touches its input. ``analyze`` re-renders the
report from the bundle's results.json and prints the verdict, with no server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from ..redact import Redactor
from ..report import gate
from ..report.collector import summary_lines
from ..report.commands import ResultsFileError, read_results
from ..report.outputs import HTML
from .archive import (
    GENERATED,
    MANIFEST,
    READ_TOTAL_BYTES,
    BundleError,
    BundleFile,
    read_members,
)
from .archive import pack as pack_bundle

SUFFIX = ".tar.gz"


def add_parsers(sub: Any) -> None:
    redact_cmd = sub.add_parser("redact", help="redact a diagnostics bundle into a new file "
                                "(pattern rules: the original run's secrets are unknown here)")
    redact_cmd.add_argument("bundle", metavar="BUNDLE")
    redact_cmd.add_argument("--out", metavar="NEW", help="where to write (default: "
                            "BUNDLE's name with .redacted.tar.gz, beside it); never BUNDLE")
    analyze_cmd = sub.add_parser("analyze", help="re-render the report from a bundle's "
                                 "results.json and print the verdict (no server needed)")
    analyze_cmd.add_argument("bundle", metavar="BUNDLE")
    analyze_cmd.add_argument("--out", metavar="DIR", help="where report.html goes (default: "
                             "BUNDLE's name with -analysis, beside it)")


def _stem(path: Path) -> str:
    return path.name.removesuffix(SUFFIX) if path.name.endswith(SUFFIX) else path.stem


def _same_file(one: Path, other: Path) -> bool:
    if one.resolve() == other.resolve():
        return True
    return one.exists() and other.exists() and one.samefile(other)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def redact(args: argparse.Namespace) -> int:
    source = Path(args.bundle)
    out = Path(args.out) if args.out else source.with_name(_stem(source) + ".redacted" + SUFFIX)
    if _same_file(source, out):
        print(f"error: --out {out} is the input bundle; redact writes a new file and never "
              "overwrites its input", file=sys.stderr)
        return gate.EXIT_USAGE
    try:
        members = read_members(source)
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return gate.EXIT_USAGE
    try:
        old_manifest = json.loads(members.get(MANIFEST, b"{}"))
        listed = {f["path"]: f for f in old_manifest.get("files", [])}
    except (ValueError, TypeError, KeyError, AttributeError):
        old_manifest, listed = {}, {}
    files = [BundleFile(path, str(listed.get(path, {}).get("source") or f"{source.name}: {path}"),
                        content, bool(listed.get(path, {}).get("truncated", False)))
             for path, content in sorted(members.items()) if path not in GENERATED]
    notes = {"run_id": old_manifest.get("run_id"), "verdict": old_manifest.get("verdict"),
             "redacted_from": {"bundle": source.name, "sha256": _sha256(source),
                               "rules": "patterns only (the original run's secrets are "
                                        "unknown to this command)"}}
    packed = pack_bundle(out, files, [], Redactor(), READ_TOTAL_BYTES, notes)
    total = sum(entry["count"] for entry in packed.redaction)
    print(f"wrote {out}: {len(files)} files, {total} replacements")
    for entry in packed.redaction:
        print(f"  {entry['count']:6}  {entry['rule']:18} {entry['file']}")
    return 0


def analyze(args: argparse.Namespace) -> int:
    source = Path(args.bundle)
    try:
        results, _data = read_results(str(source))
    except ResultsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return gate.EXIT_USAGE
    out_dir = Path(args.out) if args.out else source.with_name(_stem(source) + "-analysis")
    out_dir.mkdir(parents=True, exist_ok=True)
    from ..report.outputs import write_html  # the one renderer of report.html

    page = write_html(results, out_dir / HTML)
    for line in summary_lines(results):
        print(line)
    print(f"report: {page} (re-rendered from the results.json of {source})")
    return 0
