"""S3 operations with one set of credentials, each recorded with its raw outcome.

Runs as a probe on the driver (JSON in on stdin, JSON out) and, unchanged, inside Spark
tasks on executors (pickled by value), so it needs only the standard library and boto3.
It records what S3 answered; judging is the engine's job (mlflow_conformance.storage.s3_access).

Input: {"checks": [inputs, ...]}; output: {"checks": [result, ...]}. Inputs: endpoint, bucket,
prefix (harness-owned, ends with "/"), plan (write|read|none),
credentials ({"access_key", "secret_key"}, "anonymous", or "environment": whatever the
process environment holds, as the MLflow client would use), shared_key (an object written
beforehand, for the reads of identities that may not write), timeout, large_bytes, ca_bundle
(boto3's verify=: --s3-ca-bundle; unset, boto3 reads AWS_CA_BUNDLE, then REQUESTS_CA_BUNDLE).
Inside a pod a ca_bundle is a file of the pod's input Secret (cluster.manifests ships the PEM).
With credentials "environment" the injected AWS_CA_BUNDLE wins, as the job's boto3 reads it.
A TLS failure (SSLError, or plain HTTP dropped by a TLS port) is recorded with its exception
and, where the connectivity probe is importable beside this one, its TLS diagnosis code
(``tls``, the connectivity probe's classification); it blocks every later operation.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from typing import Any

PLANS = {
    "write": ("head_bucket", "list", "put_small", "get_small", "put_large", "get_large",
              "delete"),
    "read": ("head_bucket", "list", "get_shared", "put_small", "put_large", "delete_shared"),
    "none": ("head_bucket", "list", "get_shared", "put_small"),
}
SMALL_BYTES = 1024
MULTIPART_THRESHOLD = 8 * 1024 * 1024  # boto3's default: 20 MB goes multipart
# After these every later operation would fail the same way (or only wait out its timeout);
# writes into a missing bucket must not even be tried: some servers create it on PutObject.
BLOCKING = ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
            "NoCredentialsError", "SSLError")
NO_BUCKET = ("404", "NoSuchBucket")
BUCKET_OPS = ("head_bucket", "list")


def make_client(endpoint: str | None, credentials: Any, timeout: float,
                ca_bundle: str | None = None) -> tuple[Any, str]:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    settings: dict[str, Any] = {"s3": {"addressing_style": "path"}, "connect_timeout": timeout,
                                "read_timeout": timeout, "retries": {"max_attempts": 1}}
    keys: dict[str, Any] = {}
    if credentials == "anonymous":
        settings["signature_version"] = UNSIGNED
        access_key = "(anonymous)"
    elif credentials == "environment":
        settings["signature_version"] = "s3v4"
        access_key = os.environ.get("AWS_ACCESS_KEY_ID", "(none in environment)")
    else:
        settings["signature_version"] = "s3v4"
        keys = {"aws_access_key_id": credentials["access_key"],
                "aws_secret_access_key": credentials["secret_key"]}
        access_key = credentials["access_key"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                          config=Config(**settings), verify=ca_bundle or None, **keys)
    return client, access_key


def _error(exc: BaseException, endpoint: str | None = None, timeout: float = 3.0
           ) -> dict[str, Any]:
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code") or type(exc).__name__
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    error = {"ok": False, "error_code": str(code), "status": status, "exception":
             type(exc).__name__, "error": str(exc).splitlines()[0][:300] if str(exc) else ""}
    if not response:  # an S3 answer is never a TLS failure; no answer may be one
        found = _tls(exc, endpoint, timeout)
        if found is not None:
            error["tls"], detail = found
            if "expects https://" in detail:
                error["error"] += " (the port completes a TLS handshake: it expects https://)"
    return error


def _tls(exc: BaseException, endpoint: str | None, timeout: float) -> tuple[str, str] | None:
    """The connectivity probe's TLS classification, where that probe is importable (the
    package, or the file beside this one in a pod); inside an executor task neither may be,
    and the engine classifies the recorded error instead (storage.s3_access.classify)."""
    import importlib

    for name in ("mlflow_conformance.probes.connectivity", "connectivity"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found: tuple[str, str] | None = module.classify_exception(exc, endpoint, timeout)
        return found
    return None


def run(inputs: dict[str, Any]) -> dict[str, Any]:
    import io

    from boto3.s3.transfer import TransferConfig

    endpoint, ca_bundle = inputs.get("endpoint"), inputs.get("ca_bundle")
    if inputs["credentials"] == "environment":
        # What the job's own boto3 would use: the injected endpoint and CA bundle first.
        endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL") or endpoint
        if os.environ.get("AWS_CA_BUNDLE"):
            ca_bundle = None  # boto3 reads it itself
    bucket, prefix, timeout = inputs["bucket"], inputs["prefix"], float(inputs["timeout"])
    # The failure every later operation would repeat (none yet).
    blocker: dict[str, Any] | None = None
    try:
        client, access_key = make_client(endpoint, inputs["credentials"], timeout, ca_bundle)
    except Exception as exc:  # noqa: BLE001 - boto3 refuses partial credentials up front
        client, access_key = None, os.environ.get("AWS_ACCESS_KEY_ID", "(none)")
        blocker = {**_error(exc), "blocked_by": "client"}
    small = os.urandom(SMALL_BYTES)
    large_bytes = int(inputs.get("large_bytes", 20 * 1024 * 1024))
    large = os.urandom(large_bytes) if "put_large" in PLANS[inputs["plan"]] else b""
    transfer = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, use_threads=False)
    keys = {"small": prefix + "small.bin", "large": prefix + "large.bin"}

    def get(key: str) -> bytes:
        buffer = io.BytesIO()
        client.download_fileobj(bucket, key, buffer, Config=transfer)
        return buffer.getvalue()

    actions = {
        "head_bucket": lambda: client.head_bucket(Bucket=bucket),
        "list": lambda: client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=10),
        "put_small": lambda: client.put_object(Bucket=bucket, Key=keys["small"], Body=small),
        "get_small": lambda: _same(get(keys["small"]), small),
        "put_large": lambda: client.upload_fileobj(io.BytesIO(large), bucket, keys["large"],
                                                   Config=transfer),
        "get_large": lambda: _same(get(keys["large"]), large),
        "get_shared": lambda: get(inputs["shared_key"]),
        "delete": lambda: client.delete_objects(Bucket=bucket, Delete={"Objects": [
            {"Key": k} for k in keys.values()]}),
        "delete_shared": lambda: client.delete_object(Bucket=bucket, Key=inputs["shared_key"]),
    }
    sizes = {"put_small": SMALL_BYTES, "get_small": SMALL_BYTES, "put_large": large_bytes,
             "get_large": large_bytes}
    records: list[dict[str, Any]] = []
    for op in PLANS[inputs["plan"]]:
        record: dict[str, Any] = {"op": op}
        if op in sizes:
            record["bytes"] = sizes[op]
        if blocker is not None:
            records.append({**record, **blocker})
            continue
        began = time.monotonic()
        try:
            answer = actions[op]()
            record.update(ok=True)
            if answer is False:
                record.update(ok=False, error_code="DataMismatch", exception="DataMismatch",
                              error="the object read back differs from what was written")
        except Exception as exc:  # noqa: BLE001 - every failure is the evidence
            record.update(_error(exc, endpoint, timeout))
        record["seconds"] = round(time.monotonic() - began, 3)
        records.append(record)
        code = record.get("error_code")
        if not record["ok"] and (code in BLOCKING or "tls" in record
                                 or (op in BUCKET_OPS and code in NO_BUCKET)):
            blocker = {k: record[k] for k in ("ok", "error_code", "status", "exception", "error",
                                              "tls") if k in record}
            blocker["blocked_by"] = op
    return {"access_key": access_key, "endpoint": endpoint, "bucket": bucket, "prefix": prefix,
            "plan": inputs["plan"], "credentials_from": _source(inputs["credentials"]),
            "operations": records}


def _same(read: bytes, written: bytes) -> bool:
    return hashlib.sha256(read).digest() == hashlib.sha256(written).digest()


def _source(credentials: Any) -> str:
    return credentials if isinstance(credentials, str) else "given"


if __name__ == "__main__":
    # Inputs on stdin, or in the file named as the argument (inside a pod: a mounted Secret).
    with open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin as given:
        checks = json.load(given)["checks"]
    json.dump({"checks": [run(inputs) for inputs in checks]}, sys.stdout)
    sys.stdout.write("\n")
