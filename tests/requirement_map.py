"""A pytest plugin for self-tests: after collection, write {nodeid: [requirement ids]} as JSON
to the file named by $REQUIREMENT_MAP_OUT."""

import json
import os

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    found = {item.nodeid: sorted({rid for m in item.iter_markers("requirement") for rid in m.args})
             for item in session.items}
    with open(os.environ["REQUIREMENT_MAP_OUT"], "w") as out:
        json.dump(found, out)
