"""S3A checks against the real Spark JVM: pip's pyspark lacks hadoop-aws (jar_missing, a
failure that only the embedded stack's declared gap turns into a skip), and fs.s3a settings
broken in the live Hadoop configuration."""

import contextlib

import pytest

from mlflow_conformance.cleanup.ledger import s3_prefix
from mlflow_conformance.findings import Outcome
from mlflow_conformance.fixtures.context import run_context
from mlflow_conformance.stack.lifecycle import LOCAL_GAPS
from mlflow_conformance.storage import s3a, s3a_io


@contextlib.contextmanager
def hadoop_setting(spark, key, value):
    """Change one key of the session's Hadoop configuration, restoring it afterwards."""
    conf = spark._jsc.hadoopConfiguration()
    before = conf.get(key)
    if value is None:
        conf.unset(key)
    else:
        conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            conf.unset(key)
        else:
            conf.set(key, before)


@pytest.mark.fault("S3A-001", "jar_missing")
def test_missing_hadoop_aws_is_jar_missing_and_a_failure_by_itself(spark):
    finding = s3a.judge_classes(s3a.collect(spark))
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "jar_missing")
    assert finding.evidence["hadoop_version"] == "3.3.4"
    assert "ClassNotFoundException" in finding.evidence["classes"][s3a.S3A_CLASS]["error"]
    # Only the embedded stack's declared gap turns it into a skip (the check fixture does).
    assert "jar_missing" in LOCAL_GAPS


@pytest.mark.fault("S3A-003", "jar_missing")
def test_real_s3a_write_without_the_jar_is_jar_missing(spark, deployment, ledger, pytestconfig):
    prefix = s3_prefix(run_context(pytestconfig).run_id)
    ledger.record("s3_prefix", f"{deployment.bucket}/{prefix}")
    evidence = s3a_io.write_read(spark, f"s3a://{deployment.bucket}/{prefix}s3a/fault.parquet")
    finding = s3a_io.judge_io(evidence, deployment.bucket)
    assert finding.code == "jar_missing"
    assert evidence["steps"][0]["step"] == "write"


@pytest.mark.fault("S3A-002", "s3a_path_style_off")
def test_path_style_off_for_a_non_aws_endpoint(spark, deployment):
    with hadoop_setting(spark, "fs.s3a.path.style.access", "false"):
        evidence = s3a.collect(spark)
    finding = s3a.judge_settings(evidence, deployment.s3_endpoint, keys_expected=True)
    assert finding.code == "s3a_path_style_off"


@pytest.mark.fault("S3A-002", "s3a_setting_missing")
@pytest.mark.parametrize("key", ["fs.s3a.endpoint", "fs.s3a.secret.key"])
def test_missing_setting_is_named(spark, deployment, key):
    with hadoop_setting(spark, key, None):
        evidence = s3a.collect(spark)
    finding = s3a.judge_settings(evidence, deployment.s3_endpoint, keys_expected=True)
    assert finding.code == "s3a_setting_missing"
    assert key in finding.message
    assert deployment.driver_identity.secret_key not in str(finding.to_dict())
