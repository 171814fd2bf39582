"""The one way the harness builds an S3 client: path-style, SigV4, one attempt, short timeouts.

A diagnosis must come back in seconds, not after botocore's retries; path-style addressing
because S3-compatible stores (MinIO, SeaweedFS) rarely resolve bucket subdomains.
"""

from __future__ import annotations

from typing import Any

from ..deployment import S3Identity


def s3_client(endpoint: str | None, identity: S3Identity | None, timeout: float = 5.0) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=identity.access_key if identity else None,
        aws_secret_access_key=identity.secret_key if identity else None,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      connect_timeout=timeout, read_timeout=timeout,
                      retries={"max_attempts": 1, "mode": "standard"}))
