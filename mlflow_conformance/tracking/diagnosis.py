"""Turn what a failed call raised into a diagnosis code, for the tracking and registry checks.

The MLflow client reports everything as MlflowException; the code is recovered from the
structured error (MLflow's JSON error code) or, where some other server answered, from the
HTTP status in the client's message. A 404 with MLflow's RESOURCE_DOES_NOT_EXIST means the
entity is missing; a 404 without it means the route itself is missing. A TLS failure gets the
connectivity probe's code and remedy (tls.classify), whichever client raised it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlflow_conformance import tls
from mlflow_conformance.transport.rest import RestError

REMEDIES = {
    "endpoint_missing": "upgrade the tracking server (or its image) to one that serves this API, "
                        "and let /api/2.0/mlflow/ paths through every proxy in front of it",
    "entity_missing": "check the server's backend database: what was just written is not there",
    "request_rejected": "compare client and server versions; the server refused a standard call",
    "server_error": "read the tracking server's log: its backend database or artifact store fails",
    "http_error": "find what answers in front of the tracking server (gateway, proxy)",
    "auth_required": "give the jobs the credentials the platform's gateway expects",
    "permission_denied": "grant the job's identity write access to experiments and models",
    "host_rejected": "add the Host drivers use to the server's --allowed-hosts",
    "connection_refused": "check that the tracking server runs and the URI names its port",
    "timeout": "the server or a gateway stalls: check its load and its backend database",
    "alias_not_found": "set the alias (set_registered_model_alias) before loading "
                       "models:/<name>@<alias>; aliases need an MLflow 2.3+ server",
    "stage_not_found": "transition a version to the stage, or better load by alias",
    "artifact_failed": "check the artifact store's endpoint and the job's S3 credentials",
    "harness_error": "a defect of the harness: report it with the evidence",
}

_STATUS = re.compile(r"failed with error code (\d{3}) != \d{3}")
_ALIAS = re.compile(r"alias \S+ not found", re.IGNORECASE)
_STAGE = re.compile(r"No versions of model with name .* and stage .* found", re.IGNORECASE)


@dataclass(frozen=True)
class Diagnosis:
    code: str
    message: str
    outcome: str = "fail"  # "error" when the harness itself broke
    evidence: dict[str, Any] = field(default_factory=dict)
    # Where the code alone does not decide it: a TLS remedy names the settings of the client
    # that failed (the tracking server's or boto3's).
    hint: str = ""

    @property
    def remedy(self) -> str:
        return self.hint or REMEDIES.get(self.code, "")


def _by_status(status: int, body: str) -> str:
    if status == 404:
        return "endpoint_missing"
    if status == 401:
        return "auth_required"
    if status == 403:
        return "host_rejected" if "Invalid Host header" in body else "permission_denied"
    return "server_error" if status >= 500 else "http_error"


def _by_error_code(error_code: str, message: str) -> str:
    if _ALIAS.search(message):
        # Whatever the code: MLflow's stores raise a missing alias as INVALID_PARAMETER_VALUE.
        return "alias_not_found"
    if error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
        return "stage_not_found" if _STAGE.search(message) else "entity_missing"
    if error_code == "ENDPOINT_NOT_FOUND":
        return "endpoint_missing"
    if error_code in ("PERMISSION_DENIED",):
        return "permission_denied"
    if error_code in ("UNAUTHENTICATED",):
        return "auth_required"
    if error_code in ("INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "IO_ERROR"):
        return "server_error"
    return "request_rejected"


def _by_transport(text: str) -> str | None:
    if "Connection refused" in text or "NewConnectionError" in text:
        return "connection_refused"
    if "timed out" in text or "Timeout" in text:
        return "timeout"
    if re.search(r"too many 5\d\d error responses", text):
        return "server_error"
    return None


def classify(exc: BaseException) -> Diagnosis:
    """The diagnosis for an exception raised while talking to the server or the store."""
    text = f"{type(exc).__name__}: {exc}"
    first = text.splitlines()[0][:500]
    # Before the transport words: a TLS failure must not read as connection_refused.
    found_tls = tls.classify(exc)
    if found_tls is not None:
        return Diagnosis(found_tls.code, first, evidence={"tls": found_tls.error[:300]},
                         hint=found_tls.remedy)
    if isinstance(exc, RestError):
        code = (_by_error_code(exc.error_code, exc.body_message) if exc.error_code
                else _by_status(exc.status, exc.body_message))
        return Diagnosis(code, first, evidence={"status": exc.status,
                                                "error_code": exc.error_code})
    module = type(exc).__module__
    if module.startswith("mlflow"):
        status = _STATUS.search(text)
        if status:
            return Diagnosis(_by_status(int(status.group(1)), text), first,
                             evidence={"status": int(status.group(1))})
        if "'detail': 'Not Found'" in text:  # the server's FastAPI part, route missing
            return Diagnosis("endpoint_missing", first)
        transport = _by_transport(text)
        if transport:
            return Diagnosis(transport, first)
        error_code = str(getattr(exc, "error_code", "") or "")
        return Diagnosis(_by_error_code(error_code, text), first,
                         evidence={"error_code": error_code})
    if module.startswith(("requests", "urllib3")):
        return Diagnosis(_by_transport(text) or "http_error", first)
    if module.startswith(("botocore", "boto3", "s3transfer")):
        return Diagnosis("artifact_failed", first)
    return Diagnosis("harness_error", first, outcome="error")
