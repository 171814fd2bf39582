"""The MLflow client as a Spark driver of the deployment has it: the injected job
environment, the tracking and registry URI, and the harness's bounds on the client.

The client's own retry loop (7 retries, 120 s timeouts) would turn a broken server into
minutes of silence, so every session bounds it to one retry and short timeouts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..deployment import Deployment
from ..tls import MLFLOW_TLS_VARIABLES

CLIENT_BOUNDS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}


def client_environment(deployment: Deployment) -> dict[str, str]:
    """The job environment the platform injects, plus the harness's bounds on the client,
    the deployment's credentials and TLS settings as the MLflow client reads them."""
    env = {**deployment.job_env, **CLIENT_BOUNDS,
           "MLFLOW_TRACKING_URI": deployment.tracking_uri,
           "MLFLOW_REGISTRY_URI": deployment.tracking_uri}
    if deployment.tracking_username:
        env["MLFLOW_TRACKING_USERNAME"] = deployment.tracking_username
        env["MLFLOW_TRACKING_PASSWORD"] = deployment.tracking_password or ""
    if deployment.tracking_token:
        env["MLFLOW_TRACKING_TOKEN"] = deployment.tracking_token
    env.update(deployment.tracking_tls.mlflow_env())
    if deployment.s3_ca_bundle:
        env["AWS_CA_BUNDLE"] = deployment.s3_ca_bundle  # MLflow's S3 artifact client: boto3
    return env


@contextmanager
def driver_session(deployment: Deployment) -> Iterator[dict[str, str]]:
    """Within the block, mlflow's fluent API and clients talk to this deployment as a driver
    would; afterwards the process environment and mlflow's URIs are as they were."""
    import mlflow

    env = client_environment(deployment)
    # The deployment's TLS settings are the whole truth: a variable it does not set is unset
    # within the block (MLflow refuses MLFLOW_TRACKING_INSECURE_TLS with a bundle path).
    cleared = [key for key in MLFLOW_TLS_VARIABLES if key not in env]
    saved = {key: os.environ.get(key) for key in [*env, *cleared]}
    previous_uri = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    for key in cleared:
        os.environ.pop(key, None)
    os.environ.update(env)
    mlflow.set_tracking_uri(deployment.tracking_uri)
    mlflow.set_registry_uri(deployment.tracking_uri)
    try:
        yield env
    finally:
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]  # None: from the environment
        mlflow.set_tracking_uri(previous_uri)  # type: ignore[arg-type]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
