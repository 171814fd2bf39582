"""Artifacts through MLflow: which artifact-location schemes the server's experiments use,
and a round trip (log, list, download, compare) of a small and a 20 MB artifact per scheme.

The transfer itself runs on the driver and, unchanged, inside a Spark task (pickled by value:
it needs only mlflow and the standard library there).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from ..findings import Finding, Outcome, passed

# Names, not the module (see artifact_roundtrip: this module is shipped to executors by value).
from ..tls import classify as tls_classify
from .s3_access import CODES as S3_CODES
from .s3_access import REMEDIES as S3_REMEDIES

ROUND_TRIP_SCHEMES = ("mlflow-artifacts", "s3")
LOCAL_SCHEMES = ("file", "")
SIZES = {"small.bin": 1024, "large.bin": 20 * 1024 * 1024}
_S3_ERROR = re.compile(r"An error occurred \((\w+)\)")
REMEDIES = {
    "artifacts_disabled": "start the server with --serve-artifacts (and --artifacts-destination "
                          "s3://...), or recreate the experiment with an s3:// location",
    "artifact_failed": "see the evidence's failing step and error",
    "artifact_mismatch": "artifacts came back different: check the artifact store and any proxy "
                         "between clients and the server",
    **S3_REMEDIES,
}


def scheme_of(location: str) -> str:
    parsed = urlparse(location)
    # "C:\..." parses with scheme "c": a one-letter scheme is a Windows drive, i.e. local.
    return "" if len(parsed.scheme) == 1 else parsed.scheme


def inventory(experiments: list[tuple[str, str, str]], truncated: bool) -> dict[str, Any]:
    """Evidence from (id, name, artifact_location) of the server's active experiments."""
    schemes = Counter(scheme_of(location) or "(none)" for _, _, location in experiments)
    local = [{"id": i, "name": n, "artifact_location": loc} for i, n, loc in experiments
             if scheme_of(loc) in LOCAL_SCHEMES]
    return {"experiments_seen": len(experiments), "truncated": truncated,
            "schemes": dict(sorted(schemes.items())), "local_locations": local[:20]}


def judge_inventory(evidence: Mapping[str, Any]) -> Finding:
    summary = ", ".join(f"{s}: {n}" for s, n in evidence["schemes"].items()) or "none"
    if evidence["local_locations"]:
        count = sum(evidence["schemes"].get(s, 0) for s in ("file", "(none)"))
        return Finding(Outcome.WARN, "artifact_location_local",
                       f"{count} experiment(s) keep artifacts on a local path ({summary})",
                       evidence, "recreate them with an s3:// or mlflow-artifacts: location; "
                       "start the server with --artifacts-destination s3://...")
    return passed(f"artifact locations by scheme: {summary}", **evidence)


def schemes_in_use(evidence: Mapping[str, Any], default_root: str | None,
                   bucket: str | None) -> list[str]:
    """Schemes to round-trip: those in use, the default root's, and s3 when the bucket is
    known (drivers and executors talk to S3 directly, P2.2)."""
    wanted = {s for s in evidence["schemes"] if s in ROUND_TRIP_SCHEMES}
    if default_root and scheme_of(default_root) in ROUND_TRIP_SCHEMES:
        wanted.add(scheme_of(default_root))
    if bucket:
        wanted.add("s3")
    return sorted(wanted)


def classify(exc: BaseException) -> tuple[str, str, str]:
    """(diagnosis code, one-line error, remedy) for an exception from the MLflow client. A
    TLS failure gets the connectivity probe's code (tls.classify) and the remedy of the client
    that failed: boto3's settings for S3 itself, the tracking server's for the server."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 6:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " <- ".join(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                       for e in chain)[:600]
    found_tls = tls_classify(exc)
    if found_tls is not None:
        return found_tls.code, text, found_tls.remedy
    code = _code(chain, text)
    return code, text, REMEDIES.get(code, REMEDIES["artifact_failed"])


def _code(chain: list[BaseException], text: str) -> str:
    names = [type(e).__name__ for e in chain]
    found = _S3_ERROR.search(text)
    if found and found.group(1) in S3_CODES:
        return S3_CODES[found.group(1)]
    for name in names:
        if name in S3_CODES:
            return S3_CODES[name]
    if "no-serve-artifacts" in text or "503" in text:
        return "artifacts_disabled"
    return "artifact_failed"
