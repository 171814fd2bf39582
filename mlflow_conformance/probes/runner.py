"""Run a probe the way a pod would: a separate Python, JSON in on stdin, JSON out on stdout.

Inputs travel on stdin, never on the command line, because they may carry credentials.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..deployment import Deployment

PROBE_DIR = Path(__file__).parent


def connectivity_inputs(deployment: Deployment, timeout: float) -> dict[str, Any]:
    # The probe decides what to send from these as the MLflow client would.
    given = {"username": deployment.tracking_username,
             "password": deployment.tracking_password, "token": deployment.tracking_token}
    return {"tracking_uri": deployment.tracking_uri, "timeout": timeout,
            **{key: value for key, value in given.items() if value},
            **deployment.tracking_tls.probe_inputs()}


class ProbeError(RuntimeError):
    """The probe itself broke (crash, bad output, overran its time): the harness could not check."""


def run_probe(name: str, inputs: dict[str, Any], timeout: float,
              python: str = sys.executable, env: dict[str, str] | None = None) -> dict[str, Any]:
    script = PROBE_DIR / f"{name}.py"
    try:
        done = subprocess.run(
            [python, str(script)], input=json.dumps(inputs), capture_output=True, text=True,
            timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"probe {name} overran its {timeout:.0f} s budget") from None
    if done.returncode != 0:
        raise ProbeError(f"probe {name} exited {done.returncode}: {done.stderr.strip()[-1500:]}")
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise ProbeError(f"probe {name} printed no JSON: {done.stdout[-500:]!r}") from None
    return result
