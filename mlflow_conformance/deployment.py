"""The one description of the deployment under test, whatever the target.

Suites read a :class:`Deployment`; they never ask which kind of target produced it. A target
also declares what it knowingly lacks (``known_gaps``: diagnosis code → reason), so that a
check hitting such a gap records its diagnosis but reports ``skip`` instead of ``fail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .redact import Redactor, basic_credentials, is_secret_key, uri_credentials
from .tls import TlsSettings


@dataclass(frozen=True)
class S3Identity:
    """A set of S3 credentials and what the platform intends it to be allowed."""

    name: str
    access_key: str
    secret_key: str = field(repr=False)
    # "write": put/get/list/delete on the bucket; "read": get/list only; "none": no access.
    expected_access: str = "write"

    def public(self) -> dict[str, str]:
        return {"name": self.name, "access_key": self.access_key,
                "expected_access": self.expected_access}


@dataclass(frozen=True, repr=False)
class Deployment:
    kind: str  # local | remote | cluster
    tracking_uri: str
    artifact_root: str | None = None  # default artifact root, e.g. mlflow-artifacts:/ or s3://b/
    s3_endpoint: str | None = None
    bucket: str | None = None
    driver_identity: S3Identity | None = None
    executor_identity: S3Identity | None = None
    # Further identities whose refusals are part of the contract (read-only, outsider).
    other_identities: tuple[S3Identity, ...] = ()
    backend_db_uri: str | None = field(default=None, repr=False)
    tracking_username: str | None = None
    tracking_password: str | None = field(default=None, repr=False)
    tracking_token: str | None = field(default=None, repr=False)  # MLFLOW_TRACKING_TOKEN
    # What the platform injects into every Spark job: environment and Spark configuration.
    job_env: Mapping[str, str] = field(default_factory=dict)
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    known_gaps: Mapping[str, str] = field(default_factory=dict)
    server_version: str | None = None  # known without asking (embedded stack)
    # TLS of the tracking server and of S3, as MLflow and boto3 take it (see tls.py): paths
    # and a flag, no secret (a client key stays in its file).
    tracking_ca_bundle: str | None = None  # MLFLOW_TRACKING_SERVER_CERT_PATH
    tracking_insecure_tls: bool = False  # MLFLOW_TRACKING_INSECURE_TLS
    tracking_client_cert: str | None = None  # MLFLOW_TRACKING_CLIENT_CERT_PATH
    s3_ca_bundle: str | None = None  # AWS_CA_BUNDLE

    @property
    def tracking_tls(self) -> TlsSettings:
        return TlsSettings(self.tracking_ca_bundle, self.tracking_insecure_tls,
                           self.tracking_client_cert)

    @property
    def hadoop_conf(self) -> dict[str, str]:
        """The Hadoop settings every job gets: spark_conf's spark.hadoop.* without the prefix
        (Spark copies them into each job's Hadoop configuration)."""
        prefix = "spark.hadoop."
        return {k.removeprefix(prefix): v for k, v in self.spark_conf.items()
                if k.startswith(prefix)}

    @property
    def identities(self) -> tuple[S3Identity, ...]:
        seen = [i for i in (self.driver_identity, self.executor_identity) if i]
        return tuple(dict.fromkeys([*seen, *self.other_identities]))

    def secrets(self) -> list[str]:
        """Every value that must never be written anywhere."""
        values = [i.secret_key for i in self.identities]
        values += [self.backend_db_uri or "", self.tracking_token or "",
                   *basic_credentials(self.tracking_username, self.tracking_password),
                   *uri_credentials(self.tracking_uri), *uri_credentials(self.backend_db_uri)]
        for mapping in (self.job_env, self.spark_conf):
            values += [v for k, v in mapping.items() if is_secret_key(k)]
        return [v for v in values if v]

    def __repr__(self) -> str:
        # pytest -l and tracebacks print locals: the shape of the deployment, no secret of it
        # (the environment's secret keys, a password in a URI or the database URI).
        redactor = Redactor(self.secrets())
        parts = []
        for each in fields(self):
            value = getattr(self, each.name)
            if not each.repr:
                value = "***" if value else value
            elif isinstance(value, Mapping):
                value = redactor.scrub(dict(value))
            elif isinstance(value, str):
                value = redactor.text(value)
            parts.append(f"{each.name}={value!r}")
        return f"Deployment({', '.join(parts)})"

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description; secrets are left for the Redactor to remove."""
        return {
            "kind": self.kind,
            "tracking_uri": self.tracking_uri,
            "artifact_root": self.artifact_root,
            "s3_endpoint": self.s3_endpoint,
            "bucket": self.bucket,
            "identities": [i.public() for i in self.identities],
            "backend_db_uri": self.backend_db_uri,
            "job_env": dict(self.job_env),
            "spark_conf": dict(self.spark_conf),
            "known_gaps": dict(self.known_gaps),
            "server_version": self.server_version,
            "tls": {"tracking": self.tracking_tls.describe(),
                    "s3": {"ca_bundle": self.s3_ca_bundle}},
        }
