"""Turn resolved settings into the Deployment under test (except the embedded stack's, which
comes from its state), and check up front that a named cluster is reachable at all."""

from __future__ import annotations

import os
from pathlib import Path

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
        tracking_token=env.get("MLFLOW_TRACKING_TOKEN"), job_env=job_env)


def kubeconfig_path(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


def cluster_preflight(settings: Settings, timeout: float = 5.0) -> str:
    """Load the kubeconfig and ask the API server for its version, within seconds.

    Returns the server's git version; raises OptionError with one line naming the
    kubeconfig and the context tried.
    """
    from kubernetes import client, config  # deferred: slow import, only for --cluster
    from kubernetes.config.config_exception import ConfigException

    path = kubeconfig_path()
    context = settings["kube-context"]
    where = f"kubeconfig {path}, context {context or '(current)'}"
    try:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not Path(path).exists():
            config.load_incluster_config()
            where = "in-cluster service account"
            api = client.ApiClient()
        else:
            api = config.new_client_from_config(config_file=path, context=context)
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OptionError(f"no cluster reachable: {where}: {reason}") from None
    api.configuration.retries = 0
    try:
        info = client.VersionApi(api).get_code(_request_timeout=(timeout, timeout))
    except Exception as exc:  # noqa: BLE001 - urllib3/SSL/API errors all mean "unreachable"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise OptionError(f"no cluster reachable: {where} ({api.configuration.host}): "
                          f"{reason}") from None
    finally:
        api.close()
    return str(info.git_version)
