"""A pytest plugin for self-tests: after collection, write the fault markers of the
collected self-tests as JSON lines [requirement, code, test] to $FAULT_MAP_OUT."""

import json
import os

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    found = sorted({(*marker.args, item.nodeid.split("[")[0])
                    for item in session.items for marker in item.iter_markers("fault")})
    with open(os.environ["FAULT_MAP_OUT"], "w") as out:
        json.dump(found, out)
