"""Judging S3 operations recorded by the s3 probe: what S3's answers mean, and whether each
identity got exactly the access the target declares for it (pure functions of evidence)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..findings import Finding, Outcome, passed
from ..tls import TLS_CODES, tls_code, tls_remedy

# S3 error codes (or botocore exception names) → diagnosis codes.
CODES = {
    "AccessDenied": "s3_access_denied", "AllAccessDisabled": "s3_access_denied",
    "403": "s3_access_denied",
    "InvalidAccessKeyId": "s3_invalid_key",
    "SignatureDoesNotMatch": "s3_signature_mismatch",
    "NoSuchBucket": "s3_no_such_bucket",
    "EndpointConnectionError": "s3_unreachable", "ConnectTimeoutError": "s3_unreachable",
    "ReadTimeoutError": "s3_unreachable", "ConnectionClosedError": "s3_unreachable",
    "NoCredentialsError": "s3_no_credentials",
    "PartialCredentialsError": "s3_no_credentials",  # a key id without its secret
    "DataMismatch": "s3_data_mismatch",
}
# HEAD requests carry no error body: S3 says only the status, so the code is a guess.
AMBIGUOUS = ("403", "404")
REFUSALS = ("s3_access_denied", "s3_invalid_key", "s3_signature_mismatch")
ALLOWED = {"write": None, "read": ("head_bucket", "list", "get_shared"), "none": ()}
REMEDIES = {
    "s3_access_denied": "grant this identity the missing S3 action on the bucket (bucket policy, "
                        "IAM role of the job's ServiceAccount, or the S3 server's identities)",
    "s3_invalid_key": "the access key is unknown to this S3 endpoint: check the injected "
                      "AWS_ACCESS_KEY_ID / fs.s3a.access.key and the endpoint",
    "s3_signature_mismatch": "the secret key does not belong to the access key: fix the injected "
                             "AWS_SECRET_ACCESS_KEY / fs.s3a.secret.key",
    "s3_no_such_bucket": "create the artifact bucket or point the platform at the existing one",
    "s3_unreachable": "check MLFLOW_S3_ENDPOINT_URL / fs.s3a.endpoint (scheme, host, port) and "
                      "NetworkPolicies between the job's pods and S3",
    "s3_no_credentials": "inject AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an IAM role) "
                         "where this ran",
    "s3_data_mismatch": "the S3 server returned different bytes: check proxies or the server's "
                        "storage health",
    "s3_not_refused": "tighten the bucket policy: this identity must not be allowed this operation",
    "s3_error": "see the evidence's S3 error code",
    # A TLS failure towards S3: the connectivity probe's codes, remedies naming boto3's settings.
    **{code: tls_remedy(code, "s3") for code in TLS_CODES},
}


def classify(record: Mapping[str, Any]) -> str:
    """The diagnosis code of one failed operation: the TLS code the probe recorded (``tls``)
    first; an SSLError recorded where the probe could not classify it (an executor task
    without the connectivity probe) gets the same classification here."""
    if record.get("tls"):
        return str(record["tls"])
    error = str(record.get("error_code", ""))
    if "SSL" in error:
        return tls_code(str(record.get("error", "")))
    if error == "404" and record.get("op") == "head_bucket":
        return "s3_no_such_bucket"
    return CODES.get(error, "s3_error")


def _telling(failures: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The failure that says most: a real S3 error body beats a bare HEAD status."""
    plain = [f for f in failures if str(f.get("error_code")) not in AMBIGUOUS]
    return (plain or failures)[0]


def _who(result: Mapping[str, Any], identity: str) -> str:
    return f"identity {identity} (access key {result.get('access_key')})"


def _evidence(result: Mapping[str, Any], identity: str, where: str) -> dict[str, Any]:
    return {"where": where, "identity": identity, "access_key": result.get("access_key"),
            "credentials_from": result.get("credentials_from"), "endpoint": result.get("endpoint"),
            "bucket": result.get("bucket"), "prefix": result.get("prefix"),
            "operations": list(result.get("operations", []))}


def judge_access(result: Mapping[str, Any], identity: str, where: str) -> Finding:
    """Every operation of the write plan must have succeeded."""
    evidence = _evidence(result, identity, where)
    failures = [r for r in result["operations"] if not r.get("ok")]
    if not failures:
        moved = sum(r.get("bytes", 0) for r in result["operations"])
        return passed(f"{where}: {_who(result, identity)} listed, put, got and deleted "
                      f"objects ({moved} bytes moved)", **evidence)
    first = _telling(failures)
    code = classify(first)
    return Finding(Outcome.FAIL, code, f"{where}: {_who(result, identity)}: {first['op']} "
                   f"failed with {first.get('error_code')} ({first.get('error', '')})",
                   evidence, REMEDIES[code])


def judge_refusals(results: Iterable[tuple[str, str, Mapping[str, Any]]]) -> Finding:
    """(identity name, expected access, probe result): refusals and grants as declared."""
    problems: list[tuple[str, str]] = []  # (code, sentence)
    observed: list[dict[str, Any]] = []
    for identity, access, result in results:
        allowed = ALLOWED[access]
        for record in result["operations"]:
            op, ok = record["op"], bool(record.get("ok"))
            should_work = allowed is None or op in allowed
            code = "ok" if ok else classify(record)
            observed.append({"identity": identity, "access_key": result.get("access_key"),
                             "expected_access": access, "op": op,
                             "expected": "allowed" if should_work else "refused",
                             "observed": "allowed" if ok else code,
                             "error_code": record.get("error_code")})
            if ok and not should_work:
                problems.append(("s3_not_refused", f"{identity} ({access}) was allowed {op}"))
            elif not ok and (should_work or code not in REFUSALS):
                problems.append((code, f"{identity} ({access}): {op} failed with "
                                 f"{record.get('error_code')}"))
    evidence = {"operations": observed}
    if not observed:
        return Finding(Outcome.SKIP, "skipped", "the target declares no identities to refuse",
                       evidence)
    if not problems:
        names = sorted({o["identity"] for o in observed})
        return passed(f"refused and granted as declared for {', '.join(names)}", **evidence)
    # A missing refusal is a security finding: it outranks an identity that failed to read.
    code = next((c for c, _ in problems if c == "s3_not_refused"), problems[0][0])
    return Finding(Outcome.FAIL, code, "; ".join(sentence for _, sentence in problems[:6]),
                   evidence, REMEDIES.get(code, REMEDIES["s3_error"]))
