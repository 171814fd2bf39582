"""TLS as the MLflow client and boto3 do it, in one place for every path of the harness.

The settings (``TlsSettings``: a CA bundle, insecure, a client certificate) come from the
options (``--tracking-ca-bundle``/``MLFLOW_TRACKING_SERVER_CERT_PATH``,
``--tracking-insecure-tls``/``MLFLOW_TRACKING_INSECURE_TLS``,
``--tracking-client-cert``/``MLFLOW_TRACKING_CLIENT_CERT_PATH``, ``--s3-ca-bundle``/
``AWS_CA_BUNDLE``/``REQUESTS_CA_BUNDLE``) through the Deployment; this module turns them into
what each client takes: the probe's JSON inputs, requests' ``verify=``/``cert=``, the MLflow
client's environment, boto3's ``verify=``.

A TLS failure from any of them gets the same diagnosis code (``tls_untrusted``,
``tls_hostname_mismatch``, ``tls_expired``, ``tls_client_cert_required``,
``tls_handshake_failed``) and remedy: the classification itself lives in the connectivity
probe, the one file that must work alone inside a pod, and is reused here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .probes.connectivity import (
    TLS_CODES,
    classify_exception,
    exception_chain,
    tls_code,
    tls_remedy,
)

__all__ = ["TLS_CODES", "TlsDiagnosis", "TlsSettings", "classify", "s3_verify", "service_of",
           "tls_code", "tls_remedy"]

# The variables the MLflow client reads (mlflow.utils.credentials.get_default_host_creds).
MLFLOW_TLS_VARIABLES = ("MLFLOW_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_INSECURE_TLS",
                        "MLFLOW_TRACKING_CLIENT_CERT_PATH")


@dataclass(frozen=True)
class TlsSettings:
    """How a client verifies the tracking server and which certificate it shows."""

    ca_bundle: str | None = None
    insecure: bool = False
    client_cert: str | None = None

    def probe_inputs(self) -> dict[str, Any]:
        """The connectivity probe's inputs (only what is set)."""
        given = {"ca_bundle": None if self.insecure else self.ca_bundle,
                 "insecure_tls": self.insecure, "client_cert": self.client_cert}
        return {key: value for key, value in given.items() if value}

    @property
    def verify(self) -> bool | str:
        """requests' ``verify=``, as MLflow computes it (MlflowHostCreds.verify); insecure
        wins over a bundle (MLflow refuses both at once)."""
        if self.insecure:
            return False
        return self.ca_bundle or True

    @property
    def cert(self) -> str | None:
        """requests' ``cert=``: one PEM file holding certificate and key."""
        return self.client_cert

    def mlflow_env(self) -> dict[str, str]:
        """The MLflow client's variables for these settings (only what is set)."""
        env: dict[str, str] = {}
        if self.insecure:
            env["MLFLOW_TRACKING_INSECURE_TLS"] = "true"
        elif self.ca_bundle:
            env["MLFLOW_TRACKING_SERVER_CERT_PATH"] = self.ca_bundle
        if self.client_cert:
            env["MLFLOW_TRACKING_CLIENT_CERT_PATH"] = self.client_cert
        return env

    def describe(self) -> dict[str, Any]:
        return {"ca_bundle": self.ca_bundle, "insecure": self.insecure,
                "client_cert": self.client_cert}


def s3_verify(ca_bundle: str | None) -> str | None:
    """boto3's ``verify=``: the bundle, or None for boto3's own choice (AWS_CA_BUNDLE,
    REQUESTS_CA_BUNDLE, certifi) — the same order --s3-ca-bundle falls back in."""
    return ca_bundle or None


@dataclass(frozen=True)
class TlsDiagnosis:
    code: str
    remedy: str
    error: str


def classify(exc: BaseException, service: str | None = None, url: str | None = None,
             timeout: float = 3.0) -> TlsDiagnosis | None:
    """The TLS diagnosis of a failure raised by ssl, http.client, requests, the MLflow client
    (MlflowException quoting requests' error), boto3 or the JVM; None when it is not a TLS
    failure. The code is the connectivity probe's (classify_exception); the remedy names
    the settings of ``service`` ("tracking" or "s3"; by default the client that raised it,
    service_of).

    Given the ``url`` it failed on (else the first URL the error names), a connection dropped
    on an http:// URL is checked the way the probe checks it: when the port completes a TLS
    handshake, it is tls_handshake_failed.
    """
    found = classify_exception(exc, url, timeout)
    if found is None:
        return None
    code, text = found
    return TlsDiagnosis(code, tls_remedy(code, service or service_of(exc)), text)


def service_of(exc: BaseException) -> str:
    """Which client's settings a TLS failure concerns: boto3's (the S3 endpoint) when botocore,
    boto3 or s3transfer raised anywhere in the chain, else the tracking server's."""
    chain = exception_chain(exc)
    return "s3" if any(type(e).__module__.startswith(("botocore", "boto3", "s3transfer"))
                       for e in chain) else "tracking"
