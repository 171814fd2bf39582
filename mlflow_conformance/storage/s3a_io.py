"""A real s3a:// write and read from executors, and what the JVM's errors mean."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from ..findings import Finding, Outcome, passed
from ..tls import TLS_CODES, tls_code, tls_remedy
from .s3_access import REMEDIES as S3_REMEDIES

ROWS = 1000
# (pattern in the Java error, diagnosis code); the first match wins. Classes that do not load
# come first, then the JVM's TLS failures (JVM_TLS), then what S3 or the network answered.
CLASS_PATTERNS = (
    (r"ClassNotFoundException.*S3AFileSystem", "jar_missing"),
    (r"NoSuchMethodError|NoClassDefFoundError", "jar_version_mismatch"),
)
PATTERNS = (
    (r"InvalidAccessKeyId", "s3_invalid_key"),
    (r"SignatureDoesNotMatch", "s3_signature_mismatch"),
    (r"AccessDenied|403 Forbidden|Status Code: 403", "s3_access_denied"),
    (r"NoSuchBucket|Bucket .* does not exist", "s3_no_such_bucket"),
    (r"ConnectException|Connection refused|SocketTimeoutException|ConnectTimeout",
     "s3_unreachable"),
)
REMEDIES = {
    "jar_missing": "add hadoop-aws (the JVM's Hadoop version) and its AWS SDK to the image",
    "jar_version_mismatch": "hadoop-aws must equal hadoop-common's version and use the AWS SDK "
                            "it was built with",
    "s3a_path_style_off": "set spark.hadoop.fs.s3a.path.style.access=true for a non-AWS endpoint",
    "s3a_io_failed": "see the Spark error in the evidence",
    **S3_REMEDIES,
    **{code: tls_remedy(code, "s3a") for code in TLS_CODES},  # the JVM's settings, not boto3's
}


# The JVM's TLS exceptions (JSSE, under S3A's HTTP client); their code is the connectivity
# probe's (tls_code), the same as for Python clients.
JVM_TLS = re.compile(r"javax\.net\.ssl|SSLHandshakeException|SSLException|CertPath|"
                     r"CertificateExpired|CertificateNotYetValid")


def classify(error: str, bucket: str) -> str:
    # G2: without path-style access S3A asks DNS for <bucket>.<endpoint host>.
    if re.search(rf"UnknownHostException:?\s*{re.escape(bucket)}\.", error):
        return "s3a_path_style_off"
    if "UnknownHostException" in error:
        return "s3_unreachable"
    for pattern, code in CLASS_PATTERNS:
        if re.search(pattern, error):
            return code
    if JVM_TLS.search(error):
        return tls_code(error)
    for pattern, code in PATTERNS:
        if re.search(pattern, error):
            return code
    return "s3a_io_failed"


def _error(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    text = java.toString() if java is not None else str(exc)
    return " ".join(text.split())[:600]


def write_read(spark: Any, path: str) -> dict[str, Any]:
    """Write ROWS rows as Parquet to ``path`` from executors, read them back, compare."""
    frame = spark.range(ROWS).selectExpr("id", "id * 2 AS twice")
    steps: list[dict[str, Any]] = []
    for name in ("write", "read"):
        began = time.monotonic()
        try:
            if name == "write":
                frame.write.mode("overwrite").parquet(path)
                detail: dict[str, Any] = {"rows": ROWS}
            else:
                back = spark.read.parquet(path).selectExpr("count(*) AS n", "sum(twice) AS s")
                row = back.collect()[0]
                detail = {"rows": int(row["n"]), "sum_matches": row["s"] == ROWS * (ROWS - 1)}
            steps.append({"step": name, "ok": True, **detail})
        except Exception as exc:  # noqa: BLE001 - Py4JJavaError: the error is the evidence
            steps.append({"step": name, "ok": False, "error": _error(exc)})
            break
        finally:
            steps[-1]["seconds"] = round(time.monotonic() - began, 3)
    return {"path": path, "steps": steps}


def judge_io(evidence: Mapping[str, Any], bucket: str) -> Finding:
    failed = [s for s in evidence["steps"] if not s["ok"]]
    if failed:
        code = classify(failed[0]["error"], bucket)
        return Finding(Outcome.FAIL, code, f"s3a {failed[0]['step']} of {evidence['path']} "
                       f"failed: {failed[0]['error'][:300]}", evidence, REMEDIES[code])
    read = evidence["steps"][-1]
    if read["rows"] != ROWS or not read["sum_matches"]:
        return Finding(Outcome.FAIL, "s3_data_mismatch", f"read back {read['rows']} rows of "
                       f"{ROWS}, sums match: {read['sum_matches']}", evidence,
                       S3_REMEDIES["s3_data_mismatch"])
    return passed(f"executors wrote and read back {ROWS} rows at {evidence['path']}", **evidence)


def blocked(cause: Finding) -> Finding:
    """The write is not tried when the S3A classes do not even load."""
    return Finding(cause.outcome, cause.code, f"s3a write/read not tried: {cause.message}",
                   {"blocked_by": "S3A-001", **cause.evidence}, cause.remedy)
