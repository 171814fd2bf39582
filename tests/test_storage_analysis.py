"""The storage judgements as pure functions of recorded evidence (answers seen from
SeaweedFS, MinIO-style errors, MLflow client exceptions, JVM error texts)."""

import pytest

from mlflow_conformance.findings import Finding, Outcome, passed
from mlflow_conformance.spark import executors
from mlflow_conformance.storage import artifact_roundtrip as roundtrip
from mlflow_conformance.storage import artifacts, s3_access, s3a, s3a_io
from mlflow_conformance.storage.orchestrate import combine


def op(name, ok=True, code=None):
    return {"op": name, "ok": ok, **({} if ok else {"error_code": code, "error": code})}


def result(*ops, access_key="AK"):
    return {"access_key": access_key, "operations": list(ops)}


@pytest.mark.parametrize(("record", "code"), [
    (op("head_bucket", False, "404"), "s3_no_such_bucket"),
    (op("get_shared", False, "404"), "s3_error"),
    (op("list", False, "NoSuchBucket"), "s3_no_such_bucket"),
    (op("list", False, "ReadTimeoutError"), "s3_unreachable"),
    (op("put_small", False, "SlowDown"), "s3_error"),
])
def test_s3_answers_map_to_codes(record, code):
    assert s3_access.classify(record) == code


def test_access_names_the_operation_with_a_real_error_body():
    seen = result(op("head_bucket", False, "403"), op("list", False, "SignatureDoesNotMatch"))
    finding = s3_access.judge_access(seen, "admin", "driver")
    assert finding.code == "s3_signature_mismatch"
    assert "list failed" in finding.message


def test_a_read_only_identity_that_cannot_read_is_reported():
    reader = result(op("head_bucket"), op("list"), op("get_shared", False, "AccessDenied"),
                    op("put_small", False, "AccessDenied"))
    finding = s3_access.judge_refusals([("reader", "read", reader)])
    assert finding.code == "s3_access_denied"
    assert "get_shared" in finding.message


def test_an_unreachable_endpoint_is_not_a_refusal():
    outsider = result(op("head_bucket", False, "EndpointConnectionError"),
                      op("list", False, "EndpointConnectionError"))
    assert s3_access.judge_refusals([("outsider", "none", outsider)]).code == "s3_unreachable"


def test_schemes_and_local_locations():
    inventory = artifacts.inventory([("0", "Default", "mlflow-artifacts:/0"),
                                     ("1", "old", "/mnt/mlruns/1"),
                                     ("2", "gcs", "gs://b/2"),
                                     ("3", "win", "C:\\mlruns\\3")], truncated=False)
    assert inventory["schemes"] == {"(none)": 2, "gs": 1, "mlflow-artifacts": 1}
    finding = artifacts.judge_inventory(inventory)
    assert (finding.outcome, finding.code) == (Outcome.WARN, "artifact_location_local")
    assert artifacts.schemes_in_use(inventory, "mlflow-artifacts:/", "mlflow") == [
        "mlflow-artifacts", "s3"]
    assert artifacts.schemes_in_use(inventory, None, None) == ["mlflow-artifacts"]


def chained(outer, inner):
    outer.__cause__ = inner  # what `raise outer from inner` leaves behind
    return outer


@pytest.mark.parametrize(("exc", "code"), [
    (RuntimeError("Failed to upload f: An error occurred (AccessDenied) when calling the "
                  "PutObject operation: Access Denied"), "s3_access_denied"),
    (chained(RuntimeError("upload failed"), type("NoCredentialsError", (Exception,), {})()),
     "s3_no_credentials"),
    (RuntimeError("API request failed with error code 503 != 200. Response body: 'Endpoint: "
                  "/api/2.0/mlflow-artifacts disabled due to the mlflow server running with "
                  "`--no-serve-artifacts`'"), "artifacts_disabled"),
    (RuntimeError("boom"), "artifact_failed"),
])
def test_mlflow_client_errors_map_to_codes(exc, code):
    assert artifacts.classify(exc)[0] == code


def test_a_download_that_differs_is_a_mismatch():
    evidence = {"steps": [{"step": "log large.bin", "ok": True, "bytes": 3},
                          {"step": "download large.bin", "ok": False, "code": "artifact_mismatch",
                           "error": "large.bin downloaded differs from what was logged"}]}
    assert roundtrip.judge(evidence, "driver, s3").code == "artifact_mismatch"


def test_combined_schemes_report_the_worst():
    bad = Finding(Outcome.FAIL, "artifacts_disabled", "proxied refused")
    found = combine({"s3": passed("fine"), "mlflow-artifacts": bad})
    assert (found.code, sorted(found.evidence)) == ("artifacts_disabled",
                                                    ["mlflow-artifacts", "s3"])
    assert combine({}).outcome is Outcome.SKIP


def s3a_evidence(hadoop="3.3.4", jar="file:/jars/hadoop-aws-3.3.4.jar", aws_version="3.3.4",
                 v1=True, v2=False):
    def cls(loaded, where=None):
        return {"loaded": loaded, "jar": where, "error": None if loaded else "CNFE"}

    return {"hadoop_version": hadoop, "hadoop_aws_version": aws_version,
            "classes": {s3a.S3A_CLASS: cls(True, jar), s3a.SDK_V1: cls(v1, "file:/sdk1.jar"),
                        s3a.SDK_V2: cls(v2, "file:/sdk2.jar")}}


@pytest.mark.parametrize(("evidence", "code"), [
    (s3a_evidence(), "ok"),
    (s3a_evidence(aws_version="3.3.2", jar="file:/jars/hadoop-aws-3.3.2.jar"),
     "jar_version_mismatch"),
    (s3a_evidence(v1=False), "jar_missing"),
    (s3a_evidence(hadoop="3.4.1", aws_version="3.4.1", v1=True, v2=False), "jar_missing"),
])
def test_s3a_jars_and_versions(evidence, code):
    assert s3a.judge_classes(evidence).code == code


@pytest.mark.parametrize(("error", "code"), [
    ("java.net.UnknownHostException: mlflow.minio.ilum.svc", "s3a_path_style_off"),
    ("java.net.UnknownHostException: minio.wrong", "s3_unreachable"),
    ("java.lang.NoSuchMethodError: SemaphoredDelegatingExecutor.<init>", "jar_version_mismatch"),
    ("AmazonS3Exception: Forbidden (Service: Amazon S3; Status Code: 403)", "s3_access_denied"),
    ("java.io.IOException: something else", "s3a_io_failed"),
])
def test_s3a_errors_map_to_codes(error, code):
    assert s3a_io.classify(error, "mlflow") == code


def test_python_mismatch_is_found_in_sparks_error():
    text = ("An error occurred while calling o1.collect.\n: org.apache.spark.SparkException: "
            "... [PYTHON_VERSION_MISMATCH] Python in worker has different version (3, 12) than "
            "that in driver 3.11, PySpark cannot run with different minor versions.")
    error = executors.ExecutorError(executors.summarise(RuntimeError(text)))
    assert executors.failure(error, "x").code == "python_mismatch"
    assert executors.failure(executors.ExecutorError("OOM"), "x").code == "executor_failed"
