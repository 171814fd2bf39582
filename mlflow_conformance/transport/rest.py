"""The tracking server's REST API, called directly with short timeouts and no retries.

The canary reads back through it what it wrote through the MLflow client; cleanup and
`sweep` use it because they must work without the client's environment (an interrupted
run's controller never set one up) and must never wait in the client's retry loop. TLS is
the deployment's (tls.TlsSettings); a TLS failure raises requests.exceptions.SSLError, whose
code tls.classify gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..deployment import Deployment
from ..probes.connectivity import client_authorization
from ..tls import TlsSettings

API = "/api/2.0/mlflow"


class RestError(RuntimeError):
    """A non-2xx answer. ``error_code`` is MLflow's (RESOURCE_DOES_NOT_EXIST, ...) when the
    body was MLflow's JSON error; None when something else answered (a gateway, a server
    without the route)."""

    def __init__(self, endpoint: str, status: int, error_code: str | None, message: str) -> None:
        super().__init__(f"{endpoint} answered {status}"
                         f"{' ' + error_code if error_code else ''}: {message[:300]}")
        self.endpoint = endpoint
        self.status = status
        self.error_code = error_code
        self.body_message = message

    @property
    def not_found(self) -> bool:
        """The entity does not exist (not: the route does not exist)."""
        return self.status == 404 and self.error_code == "RESOURCE_DOES_NOT_EXIST"


@dataclass(frozen=True)
class Rest:
    tracking_uri: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    token: str | None = field(default=None, repr=False)
    # verify=/cert= as the MLflow client computes them
    tls: TlsSettings = field(default_factory=TlsSettings)

    @classmethod
    def for_deployment(cls, deployment: Deployment, timeout: float = 10.0) -> Rest:
        return cls(deployment.tracking_uri.rstrip("/"), deployment.tracking_username,
                   deployment.tracking_password, timeout, deployment.tracking_token,
                   deployment.tracking_tls)

    def raw(self, method: str, endpoint: str, body: dict[str, Any] | None = None,
            params: dict[str, Any] | None = None) -> Any:
        """One exchange, no redirects followed, no retries; the requests Response."""
        import requests

        authorization = client_authorization(self.tracking_uri, self.username, self.password,
                                             self.token)
        headers = {"Authorization": authorization} if authorization else {}
        return requests.request(method, self.tracking_uri + endpoint, json=body, params=params,
                                headers=headers, timeout=self.timeout, allow_redirects=False,
                                verify=self.tls.verify, cert=self.tls.cert)

    def call(self, method: str, endpoint: str, body: dict[str, Any] | None = None,
             params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``endpoint`` is relative to the server (``/api/2.0/mlflow/runs/get``)."""
        response = self.raw(method, endpoint, body, params)
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = None
        if response.status_code // 100 != 2:
            if isinstance(data, dict) and "error_code" in data:
                raise RestError(endpoint, response.status_code, str(data["error_code"]),
                                str(data.get("message", "")))
            raise RestError(endpoint, response.status_code, None, response.text)
        if not isinstance(data, dict):
            raise RestError(endpoint, response.status_code, None,
                            "answer is not a JSON object: " + response.text[:200])
        return data

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.call("GET", API + path, params=params)

    def post(self, path: str, **body: Any) -> dict[str, Any]:
        return self.call("POST", API + path, body=body)

    def delete_artifacts(self, path: str) -> None:
        """Delete everything under a proxied artifact path (mlflow-artifacts:/<path>)."""
        self.call("DELETE", "/api/2.0/mlflow-artifacts/artifacts/" + path.strip("/"))
