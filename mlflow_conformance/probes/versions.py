"""Versions where a job runs: Python and the packages the platform promises in its image
(compat.environment), and what the tracking server says about itself from there — GET
/version and whether MLflow 3's logged-models API answers — in the shape of
compat.server_facts, so the same judges read it. Standard library only: runs inside a probe
pod (beside probekit.py, connectivity.py and environment.py). Inputs: connectivity's."""

from __future__ import annotations

import json
from typing import Any

try:
    from ..compat import environment
    from . import connectivity, probekit
except ImportError:  # run as a standalone script (inside a pod)
    import connectivity  # type: ignore[no-redef]
    import environment  # type: ignore[no-redef]
    import probekit  # type: ignore[no-redef]

LOGGED_MODELS_SEARCH = "/api/2.0/mlflow/logged-models/search"


def observe(target: dict[str, Any], method: str, path: str,
            body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Status and the start of the body, or the transport error, of one bounded exchange."""
    answer = connectivity.request(target, method, path,
                                  None if body is None else json.dumps(body).encode())
    if "status" in answer:
        return {"status": answer["status"], "body_start": answer["body"][:300].strip()}
    return {"error": connectivity.transport_code(answer),
            "detail": str(answer.get("error", ""))[:300]}


def run(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"environment": environment.local_versions(),
            "server": {"tracking_uri": inputs["tracking_uri"],
                       "version": observe(inputs, "GET", "/version"),
                       "logged_models_search": observe(inputs, "POST", LOGGED_MODELS_SEARCH,
                                                       {"experiment_ids": ["0"]})}}


if __name__ == "__main__":
    probekit.main(run)
