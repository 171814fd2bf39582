"""The one way the harness builds an S3 client: path-style, SigV4, one attempt, short timeouts.

A diagnosis must come back in seconds, not after botocore's retries; path-style addressing
because S3-compatible stores (MinIO, SeaweedFS) rarely resolve bucket subdomains.
"""

from __future__ import annotations

from typing import Any

from ..deployment import S3Identity
from ..tls import s3_verify


def s3_client(endpoint: str | None, identity: S3Identity | None, timeout: float = 5.0,
              ca_bundle: str | None = None) -> Any:
    """``ca_bundle``: the deployment's --s3-ca-bundle; None leaves boto3 its own order
    (AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, certifi). A TLS failure raises botocore's SSLError,
    whose code tls.classify(exc, "s3") gives."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", verify=s3_verify(ca_bundle),
        aws_access_key_id=identity.access_key if identity else None,
        aws_secret_access_key=identity.secret_key if identity else None,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      connect_timeout=timeout, read_timeout=timeout,
                      retries={"max_attempts": 1, "mode": "standard"}))
