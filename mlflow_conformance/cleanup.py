"""Removers for what the ledger records, built for one deployment.

Used by the fixtures at the end of a session, by the controller after an interrupted run,
and by the `sweep` command.
"""

from __future__ import annotations

from typing import Any

from .deployment import Deployment, S3Identity
from .ledger import Entry, Remover


def s3_client(deployment: Deployment, identity: S3Identity | None, timeout: float = 5.0) -> Any:
    """A boto3 S3 client for the deployment's endpoint: path-style, one attempt, short timeouts."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=deployment.s3_endpoint, region_name="us-east-1",
        aws_access_key_id=identity.access_key if identity else None,
        aws_secret_access_key=identity.secret_key if identity else None,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      connect_timeout=timeout, read_timeout=timeout,
                      retries={"max_attempts": 1, "mode": "standard"}))


def removers_for(deployment: Deployment) -> dict[str, Remover]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=deployment.tracking_uri)

    def experiment(entry: Entry) -> None:
        client.delete_experiment(entry.ident)

    def run(entry: Entry) -> None:
        client.delete_run(entry.ident)

    def registered_model(entry: Entry) -> None:
        client.delete_registered_model(entry.ident)

    def s3_prefix(entry: Entry) -> None:
        bucket, _, prefix = entry.ident.partition("/")
        s3 = s3_client(deployment, deployment.driver_identity)
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})

    return {"experiment": experiment, "run": run, "registered_model": registered_model,
            "s3_prefix": s3_prefix}
