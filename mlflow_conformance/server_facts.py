"""What the tracking server says about itself: GET /version, and whether the logged-models
API of MLflow 3 exists. Plain HTTP with a short timeout, never the client's retry loop."""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any
from urllib.parse import urlparse

LOGGED_MODELS_SEARCH = "/api/2.0/mlflow/logged-models/search"


def _request(uri: str, method: str, path: str, timeout: float, body: bytes | None,
             headers: dict[str, str]) -> dict[str, Any]:
    parsed = urlparse(uri)
    https = parsed.scheme == "https"
    factory = http.client.HTTPSConnection if https else http.client.HTTPConnection
    base = parsed.path.rstrip("/")
    conn = factory(parsed.hostname or "", parsed.port, timeout=timeout)
    try:
        conn.request(method, base + path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(2048).decode("utf-8", "replace")
        return {"status": response.status, "body_start": text[:300].strip()}
    except TimeoutError:
        return {"error": "timeout", "detail": f"no answer within {timeout} s"}
    except ConnectionRefusedError:
        return {"error": "connection_refused", "detail": "connection refused"}
    except OSError as exc:
        return {"error": "connection_refused", "detail": f"{type(exc).__name__}: {exc}"}
    finally:
        conn.close()


def collect(tracking_uri: str, timeout: float, username: str | None = None,
            password: str | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if username:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    version = _request(tracking_uri, "GET", "/version", timeout, None, headers)
    search = _request(tracking_uri, "POST", LOGGED_MODELS_SEARCH, timeout,
                      json.dumps({"experiment_ids": ["0"]}).encode(),
                      {**headers, "Content-Type": "application/json"})
    return {"tracking_uri": tracking_uri, "version": version, "logged_models_search": search}
