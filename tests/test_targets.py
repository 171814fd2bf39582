"""One description of the deployment, whatever the target: the same stack reached as
--local and as --tracking-uri gives the same verdicts, and no secret reaches the report."""

import json

from mlflow_conformance.redact import MASK, Redactor


def outcomes(report_dir):
    data = json.loads((report_dir / "results.json").read_text())
    return data, {r["id"]: (r["outcome"], r["codes"]) for r in data["requirements"]
                  if r["area"] == "connectivity"}


def test_tracking_uri_target_matches_local(deployment, stack_pointer, run_harness, tmp_path):
    local = run_harness("suites/test_connectivity.py", "--report-dir", str(tmp_path / "local"),
                        env={"MLFLOW_CONFORMANCE_STACK_POINTER": str(stack_pointer)})
    remote = run_harness("suites/test_connectivity.py", "--tracking-uri",
                         deployment.tracking_uri, "--report-dir", str(tmp_path / "remote"))
    assert local.returncode == remote.returncode == 0, local.stdout[-2000:] + remote.stdout[-2000:]
    local_data, local_verdicts = outcomes(tmp_path / "local")
    remote_data, remote_verdicts = outcomes(tmp_path / "remote")
    assert local_data["target"]["kind"] == "local"
    assert remote_data["target"]["kind"] == "remote"
    assert local_verdicts == remote_verdicts
    assert all(outcome == "pass" for outcome, _ in local_verdicts.values())


def test_no_secret_reaches_any_report_file(deployment, run_harness, tmp_path):
    admin = deployment.driver_identity
    env = {"AWS_ACCESS_KEY_ID": admin.access_key, "AWS_SECRET_ACCESS_KEY": admin.secret_key,
           "MLFLOW_S3_ENDPOINT_URL": deployment.s3_endpoint,
           "MLFLOW_CONFORMANCE_BACKEND_DB_URI": deployment.backend_db_uri}
    done = run_harness("suites/test_connectivity.py", "--tracking-uri", deployment.tracking_uri,
                       "--report-dir", str(tmp_path / "report"), env=env)
    assert done.returncode == 0, done.stdout[-2000:]
    password = deployment.backend_db_uri.split(":")[2].split("@")[0]
    written = "".join(p.read_text() for p in (tmp_path / "report").iterdir() if p.is_file())
    assert admin.secret_key not in written
    assert password not in written
    assert admin.secret_key not in done.stdout + done.stderr
    # The public half stays: support needs to know which identity was used.
    assert admin.access_key in written
    assert MASK in written


def test_redactor_rules_and_audit():
    redactor = Redactor(["topsecretvalue"])
    data = {"note": "token topsecretvalue leaked", "password": "hunter22",
            "uri": "postgresql+psycopg2://postgres:pw123@127.0.0.1:5432/mlflow",
            "aws_access_key_id": "AKIDPUBLIC", "spark.hadoop.fs.s3a.secret.key": "abc",
            "nested": [{"Authorization": "Bearer xyz"}]}
    clean = redactor.scrub(data)
    assert clean["note"] == f"token {MASK} leaked"
    assert clean["password"] == MASK
    assert clean["uri"] == f"postgresql+psycopg2://postgres:{MASK}@127.0.0.1:5432/mlflow"
    assert clean["aws_access_key_id"] == "AKIDPUBLIC"
    assert clean["spark.hadoop.fs.s3a.secret.key"] == MASK
    assert clean["nested"][0]["Authorization"] == MASK
    assert redactor.audit == {"known-secret": 1, "secret-key": 3, "uri-password": 1}
    assert data["password"] == "hunter22"  # a copy: the input is untouched


LEAKY_SUITE = '''
import pytest


@pytest.mark.requirement("NET-001")
def test_assertion_shows_the_secret():
    secret = "S3cretFromTheCommandLine"
    assert secret == "something else"
'''


def test_xdist_controller_redacts_what_workers_report(pytester):
    """With -n, the controller writes the reports from the workers' failure texts: it must know
    the secrets too, not only the workers whose deployment fixture registered them."""
    from tests.test_report_inner_run import inner_run

    result, report_dir = inner_run(pytester, LEAKY_SUITE, "-n", "2",
                                   "--s3-secret-key=S3cretFromTheCommandLine")
    assert result.ret == 1
    written = "".join(p.read_text() for p in report_dir.iterdir() if p.is_file())
    assert "assert" in written  # the failure text itself is there
    assert "S3cretFromTheCommandLine" not in written
    assert MASK in written


def test_the_repr_of_a_deployment_and_of_the_settings_holds_no_secret():
    """pytest -l and tracebacks print locals: the description's shape shows, its secrets not."""
    from mlflow_conformance.deployment import Deployment, S3Identity
    from mlflow_conformance.options import resolve

    planted = ["pw-in-uri-1", "s3-secret-2", "db-pass-3", "trk-pass-4", "trk-token-5"]
    described = Deployment(
        "remote", f"http://u:{planted[0]}@h:5000",
        driver_identity=S3Identity("driver", "AKIAPUBLIC", planted[1]),
        backend_db_uri=f"postgresql+psycopg2://a:{planted[2]}@h/db",
        tracking_username="u", tracking_password=planted[3], tracking_token=planted[4],
        job_env={"AWS_SECRET_ACCESS_KEY": planted[1], "MLFLOW_TRACKING_URI": "http://h:5000"},
        spark_conf={"spark.hadoop.fs.s3a.secret.key": planted[1]})
    settings = resolve({"s3-secret-key": planted[1], "tracking-uri": f"http://u:{planted[0]}@h",
                        "backend-db-uri": f"postgresql+psycopg2://a:{planted[2]}@h/db"},
                       environ={})
    for shown in (repr(described), repr(settings)):
        assert [s for s in planted if s in shown] == [], shown
    assert "AKIAPUBLIC" in repr(described)  # the public half stays: which identity?
    assert "MLFLOW_TRACKING_URI" in repr(described)
