"""Plugin for self-tests: every session (xdist worker) appends the tracking URI it was given
to $STACK_SPY_FILE, so a test can tell whether workers shared one stack."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _record_stack(deployment):
    with open(os.environ["STACK_SPY_FILE"], "a") as out:
        out.write(deployment.tracking_uri + "\n")
