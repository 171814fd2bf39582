"""What the tracking server says about itself: GET /version, and whether the logged-models
API of MLflow 3 exists. Plain HTTP with a short timeout, never the client's retry loop."""

from __future__ import annotations

from typing import Any

from mlflow_conformance.transport.rest import Rest

LOGGED_MODELS_SEARCH = "/api/2.0/mlflow/logged-models/search"


def _observe(rest: Rest, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """Status and the start of the body, or the transport error, of one bounded exchange."""
    import requests

    try:
        response = rest.raw(method, path, body)
    except requests.Timeout:
        return {"error": "timeout", "detail": f"no answer within {rest.timeout} s"}
    except requests.RequestException as exc:
        return {"error": "connection_refused", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": response.status_code, "body_start": response.text[:300].strip()}


def collect(rest: Rest) -> dict[str, Any]:
    """The server's facts through ``rest`` (its URI, credentials and timeout)."""
    return {"tracking_uri": rest.tracking_uri, "version": _observe(rest, "GET", "/version"),
            "logged_models_search": _observe(rest, "POST", LOGGED_MODELS_SEARCH,
                                             {"experiment_ids": ["0"]})}
