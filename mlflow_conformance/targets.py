"""Turn resolved settings into the Deployment under test (except the embedded stack's, which
comes from its state), and check up front that a named cluster is reachable at all."""

from __future__ import annotations

import os
from typing import Any

from .deployment import Deployment, S3Identity
from .options import OptionError, Settings


def remote_deployment(settings: Settings, environ: dict[str, str] | None = None) -> Deployment:
    env = dict(os.environ if environ is None else environ)
    driver = executor = None
    if settings["s3-access-key"]:
        driver = S3Identity("driver", settings["s3-access-key"], settings["s3-secret-key"] or "")
        executor = driver
    if settings["executor-s3-access-key"]:
        executor = S3Identity("executor", settings["executor-s3-access-key"],
                              settings["executor-s3-secret-key"] or "")
    tracking_uri = settings["tracking-uri"]
    job_env = {"MLFLOW_TRACKING_URI": tracking_uri}
    if settings["s3-endpoint"]:
        job_env["MLFLOW_S3_ENDPOINT_URL"] = settings["s3-endpoint"]
    if driver:
        job_env.update(AWS_ACCESS_KEY_ID=driver.access_key,
                       AWS_SECRET_ACCESS_KEY=driver.secret_key)
    return Deployment(
        kind="remote", tracking_uri=tracking_uri, s3_endpoint=settings["s3-endpoint"],
        bucket=settings["s3-bucket"], driver_identity=driver, executor_identity=executor,
        backend_db_uri=settings["backend-db-uri"],
        tracking_username=env.get("MLFLOW_TRACKING_USERNAME"),
        tracking_password=env.get("MLFLOW_TRACKING_PASSWORD"),
        tracking_token=env.get("MLFLOW_TRACKING_TOKEN"), job_env=job_env,
        **tls_fields(settings))


def tls_fields(settings: Settings) -> dict[str, Any]:
    """The deployment's TLS settings, from the options: the same for every target that is
    reached over the network (--tracking-uri, and --cluster's probe pods)."""
    return {"tracking_ca_bundle": settings.values.get("tracking-ca-bundle"),
            "tracking_insecure_tls": bool(settings.values.get("tracking-insecure-tls")),
            "tracking_client_cert": settings.values.get("tracking-client-cert"),
            "s3_ca_bundle": settings.values.get("s3-ca-bundle")}


def cluster_preflight(settings: Settings, timeout: float = 5.0) -> str:
    """Load the kubeconfig and ask the API server for its version, within seconds.

    Returns the server's git version; raises OptionError with one line naming the
    kubeconfig and the context tried.
    """
    from .cluster.kube import KubeUnreachable, connect, server_version

    try:
        kube = connect(settings["kube-context"], timeout)
    except KubeUnreachable as exc:
        raise OptionError(f"no cluster reachable: {exc}") from None
    try:
        return server_version(kube)
    except KubeUnreachable as exc:
        raise OptionError(f"no cluster reachable: {exc}") from None
    finally:
        kube.close()
