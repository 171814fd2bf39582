"""Each S3 check names the fault when the real stack is broken in exactly that way: the
driver's credentials swapped for the read-only or no-access identity, a wrong secret, an
unknown key, a missing bucket, a dead or silent endpoint, no credentials at all; executors
with read-only credentials; a "read-only" identity that can in fact write."""

import json
import os
import time
from dataclasses import replace

import pytest

from mlflow_conformance.cleanup.ledger import s3_prefix
from mlflow_conformance.cleanup.removal import s3_client
from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.probes.runner import run_probe
from mlflow_conformance.storage import s3_access, s3_matrix
from mlflow_conformance.storage.orchestrate import refusal_results, refusals
from tests.fault_servers import closed_port, silent_server

TIMEOUT = 2.0
SMALL = 64 * 1024  # the fault tests need no 20 MB transfers


@pytest.fixture(scope="module")
def prefix(deployment, ledger, pytestconfig):
    prefix = s3_prefix(run_context(pytestconfig).run_id) + "faults/"
    ledger.record("s3_prefix", f"{deployment.bucket}/{prefix}")
    return prefix


@pytest.fixture(scope="module")
def identities(deployment):
    return {i.name: i for i in deployment.identities}


def driver_finding(deployment, prefix, identity, plan="write"):
    check = s3_matrix.inputs(deployment, prefix + f"{identity.name}/", plan,
                             s3_matrix.credentials(identity), TIMEOUT, large_bytes=SMALL)
    [result] = s3_matrix.on_driver([check], TIMEOUT)
    return s3_access.judge_access(result, identity.name, "driver")


def first_failure(finding):
    return next(op for op in finding.evidence["operations"] if not op["ok"])


@pytest.mark.fault("STO-001", "s3_access_denied")
def test_reader_as_driver_identity_is_refused_writes(deployment, prefix, identities):
    finding = driver_finding(deployment, prefix, identities["reader"])
    assert (finding.outcome.value, finding.code) == ("fail", "s3_access_denied")
    assert first_failure(finding)["op"] == "put_small"
    assert finding.evidence["identity"] == "reader"
    assert identities["reader"].secret_key not in json.dumps(finding.to_dict())


@pytest.mark.fault("STO-001", "s3_access_denied")
def test_outsider_as_driver_identity_is_refused_listing(deployment, prefix, identities):
    finding = driver_finding(deployment, prefix, identities["outsider"])
    assert finding.code == "s3_access_denied"
    # HEAD answers a bare 403; the named operation is the first one with a real S3 error.
    assert "list failed with AccessDenied" in finding.message


@pytest.mark.fault("STO-001", "s3_signature_mismatch")
def test_wrong_secret_is_a_signature_mismatch(deployment, prefix, identities):
    wrong = replace(identities["admin"], secret_key="0" * 40)
    assert driver_finding(deployment, prefix, wrong).code == "s3_signature_mismatch"


@pytest.mark.fault("STO-001", "s3_invalid_key")
def test_unknown_access_key_is_invalid_key(deployment, prefix, identities):
    unknown = replace(identities["admin"], access_key="conformance-nobody")
    assert driver_finding(deployment, prefix, unknown).code == "s3_invalid_key"


@pytest.mark.fault("STO-001", "s3_no_such_bucket")
def test_missing_bucket_is_reported_and_not_created(deployment, prefix, identities):
    missing = replace(deployment, bucket=f"conformance-missing-{os.getpid()}")
    finding = driver_finding(missing, prefix, identities["admin"])
    assert finding.code == "s3_no_such_bucket"
    # SeaweedFS creates a bucket on PutObject: the probe must not get that far.
    assert all(op.get("blocked_by") == "head_bucket" for op in finding.evidence["operations"][1:])
    buckets = s3_client(deployment, identities["admin"]).list_buckets()["Buckets"]
    assert missing.bucket not in {b["Name"] for b in buckets}


@pytest.mark.fault("STO-001", "s3_unreachable")
def test_closed_port_is_unreachable(deployment, prefix, identities):
    dead = replace(deployment, s3_endpoint=f"http://127.0.0.1:{closed_port()}")
    assert driver_finding(dead, prefix, identities["admin"]).code == "s3_unreachable"


@pytest.mark.fault("STO-001", "s3_unreachable")
def test_silent_endpoint_is_unreachable_within_the_bound(deployment, prefix, identities):
    with silent_server() as port:
        began = time.monotonic()
        silent = replace(deployment, s3_endpoint=f"http://127.0.0.1:{port}")
        finding = driver_finding(silent, prefix, identities["admin"])
        elapsed = time.monotonic() - began
    assert finding.code == "s3_unreachable"
    assert elapsed < 2 * TIMEOUT + 10  # one timed-out operation; the rest are blocked


@pytest.mark.fault("STO-001", "s3_no_credentials")
def test_no_credentials_anywhere_is_no_credentials(deployment, prefix):
    check = s3_matrix.inputs(deployment, prefix + "nocreds/", "write", "environment", TIMEOUT,
                             large_bytes=SMALL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # No shared files, and never the cloud metadata address: this machine has only loopback.
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    [result] = run_probe("s3", {"checks": [check]}, timeout=60, env=env)["checks"]
    assert s3_access.judge_access(result, "(none)", "driver").code == "s3_no_credentials"


@pytest.mark.fault("STO-002", "s3_access_denied")
def test_executor_with_read_only_credentials_is_refused_writes(deployment, prefix, identities,
                                                               spark):
    check = s3_matrix.inputs(deployment, prefix + "executor-reader/", "write",
                             s3_matrix.credentials(identities["reader"]), TIMEOUT,
                             large_bytes=SMALL)
    result = s3_matrix.on_executor(spark, check)
    finding = s3_access.judge_access(result, "reader", "executor")
    assert finding.code == "s3_access_denied"
    assert finding.evidence["where"] == "executor"


@pytest.mark.fault("STO-003", "s3_not_refused")
def test_read_only_identity_that_can_write_is_not_refused(deployment, prefix, identities):
    # The platform declares the admin's keys read-only: the refusal the contract promises
    # does not happen, which is a security finding, not a pass.
    posing = replace(identities["admin"], name="reader", expected_access="read")
    faulty = replace(deployment, other_identities=(posing, identities["outsider"]))
    finding = s3_access.judge_refusals(refusal_results(faulty, prefix, TIMEOUT))
    assert finding.code == "s3_not_refused"
    assert "reader (read) was allowed put_small" in finding.message


@pytest.mark.fault("STO-003", "s3_access_denied")
def test_refusals_unchecked_when_the_driver_cannot_write_is_an_error(deployment, prefix,
                                                                     identities):
    faulty = replace(deployment, driver_identity=identities["reader"])
    finding = refusals(faulty, prefix, TIMEOUT)
    assert (finding.outcome.value, finding.code) == ("error", "s3_access_denied")
