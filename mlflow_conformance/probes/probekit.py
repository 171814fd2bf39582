"""Shared helpers for probes (standard library only; shipped beside each probe)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

Step = dict[str, Any]


def step(name: str, outcome: str, code: str, message: str, remedy: str = "",
         **evidence: Any) -> Step:
    return {"step": name, "outcome": outcome, "code": code, "message": message,
            "remedy": remedy, "evidence": evidence}


def ok(name: str, message: str, **evidence: Any) -> Step:
    return step(name, "pass", "ok", message, **evidence)


def blocked(name: str, cause: Step) -> Step:
    """A step that could not be tried because an earlier one failed: same diagnosis."""
    return step(name, "fail", cause["code"],
                f"not reached: the {cause['step']} step failed ({cause['message']})",
                cause["remedy"], blocked_by=cause["step"])


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = round(time.monotonic() - self.start, 4)


def main(run: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Read inputs from stdin (or the file named as the argument: inside a pod, a mounted
    Secret), print the probe's JSON result on stdout."""
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as given:
            inputs = json.load(given)
    else:
        inputs = json.load(sys.stdin)
    json.dump(run(inputs), sys.stdout)
    sys.stdout.write("\n")
