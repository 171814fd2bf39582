"""Options: one table, mirrored by environment variables, bad input rejected up front with
one line and no traceback."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlflow_conformance.options import OPTIONS, OptionError, resolve

ROOT = Path(__file__).parent.parent


def test_no_target_means_the_embedded_stack():
    assert resolve({}, environ={}).target == "local"


def test_every_option_reads_its_environment_variable():
    env = {"MLFLOW_CONFORMANCE_TRACKING_URI": "http://mlflow.example:5000",
           "MLFLOW_CONFORMANCE_PROBE_TIMEOUT": "1.5", "MLFLOW_CONFORMANCE_PROFILE": "smoke"}
    settings = resolve({}, environ=env)
    assert settings.target == "remote"
    assert settings["tracking-uri"] == "http://mlflow.example:5000"
    assert settings["probe-timeout"] == 1.5
    assert settings["profile"] == "smoke"


def test_command_line_wins_over_environment():
    settings = resolve({"probe-timeout": 2.0}, environ={"MLFLOW_CONFORMANCE_PROBE_TIMEOUT": "9"})
    assert settings["probe-timeout"] == 2.0


def test_standard_aws_variables_are_the_fallback_for_credentials():
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 12,
           "MLFLOW_S3_ENDPOINT_URL": "http://s3.example:9000"}
    settings = resolve({}, environ=env)
    assert settings["s3-access-key"] == "AKIDEXAMPLE"
    assert settings["s3-endpoint"] == "http://s3.example:9000"


# The variables as README.md's options table documents them, written out: deriving them with
# the implementation's own formula would pass whatever the formula did.
DOCUMENTED_ENV = {
    "local": ("MLFLOW_CONFORMANCE_LOCAL",),
    "tracking-uri": ("MLFLOW_CONFORMANCE_TRACKING_URI",),
    "cluster": ("MLFLOW_CONFORMANCE_CLUSTER",),
    "kube-context": ("MLFLOW_CONFORMANCE_KUBE_CONTEXT",),
    "namespace": ("MLFLOW_CONFORMANCE_NAMESPACE",),
    "job-namespaces": ("MLFLOW_CONFORMANCE_JOB_NAMESPACES",),
    "mlflow-deployment": ("MLFLOW_CONFORMANCE_MLFLOW_DEPLOYMENT",),
    "mlflow-service": ("MLFLOW_CONFORMANCE_MLFLOW_SERVICE",),
    "job-settings": ("MLFLOW_CONFORMANCE_JOB_SETTINGS",),
    "executor-job-settings": ("MLFLOW_CONFORMANCE_EXECUTOR_JOB_SETTINGS",),
    "spark-service-account": ("MLFLOW_CONFORMANCE_SPARK_SERVICE_ACCOUNT",),
    "executor-service-account": ("MLFLOW_CONFORMANCE_EXECUTOR_SERVICE_ACCOUNT",),
    "probe-image": ("MLFLOW_CONFORMANCE_PROBE_IMAGE",),
    "pod-timeout": ("MLFLOW_CONFORMANCE_POD_TIMEOUT",),
    "dry-run": ("MLFLOW_CONFORMANCE_DRY_RUN",),
    "ingress-url": ("MLFLOW_CONFORMANCE_INGRESS_URL",),
    "outsider-namespace": ("MLFLOW_CONFORMANCE_OUTSIDER_NAMESPACE",),
    "s3-endpoint": ("MLFLOW_CONFORMANCE_S3_ENDPOINT", "MLFLOW_S3_ENDPOINT_URL"),
    "s3-bucket": ("MLFLOW_CONFORMANCE_S3_BUCKET",),
    "s3-access-key": ("MLFLOW_CONFORMANCE_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    "s3-secret-key": ("MLFLOW_CONFORMANCE_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"),
    "executor-s3-access-key": ("MLFLOW_CONFORMANCE_EXECUTOR_S3_ACCESS_KEY",),
    "executor-s3-secret-key": ("MLFLOW_CONFORMANCE_EXECUTOR_S3_SECRET_KEY",),
    "backend-db-uri": ("MLFLOW_CONFORMANCE_BACKEND_DB_URI",),
    "artifact-mode": ("MLFLOW_CONFORMANCE_ARTIFACT_MODE",),
    "spark-master": ("MLFLOW_CONFORMANCE_SPARK_MASTER",),
    "spark-session": ("MLFLOW_CONFORMANCE_SPARK_SESSION",),
    "udf-min-rows-per-second": ("MLFLOW_CONFORMANCE_UDF_MIN_ROWS_PER_SECOND",),
    "slow-step-seconds": ("MLFLOW_CONFORMANCE_SLOW_STEP_SECONDS",),
    "profile": ("MLFLOW_CONFORMANCE_PROFILE",),
    "probe-timeout": ("MLFLOW_CONFORMANCE_PROBE_TIMEOUT",),
    "tracking-ca-bundle": ("MLFLOW_CONFORMANCE_TRACKING_CA_BUNDLE",
                           "MLFLOW_TRACKING_SERVER_CERT_PATH"),
    "tracking-insecure-tls": ("MLFLOW_CONFORMANCE_TRACKING_INSECURE_TLS",
                              "MLFLOW_TRACKING_INSECURE_TLS"),
    "tracking-client-cert": ("MLFLOW_CONFORMANCE_TRACKING_CLIENT_CERT",
                             "MLFLOW_TRACKING_CLIENT_CERT_PATH"),
    "s3-ca-bundle": ("MLFLOW_CONFORMANCE_S3_CA_BUNDLE", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"),
    "fail-on": ("MLFLOW_CONFORMANCE_FAIL_ON",),
    "baseline": ("MLFLOW_CONFORMANCE_BASELINE",),
    "collect": ("MLFLOW_CONFORMANCE_COLLECT",),
    "report-dir": ("MLFLOW_CONFORMANCE_REPORT_DIR",),
}


def test_every_option_has_its_documented_variables():
    assert {spec.name: (spec.env, *spec.fallback_env) for spec in OPTIONS} == DOCUMENTED_ENV
    assert len({spec.name for spec in OPTIONS}) == len(OPTIONS)


@pytest.mark.parametrize(("name", "variable"), sorted(
    (name, names[0]) for name, names in DOCUMENTED_ENV.items()))
def test_the_documented_variable_is_the_one_read(name, variable):
    # A value every converter rejects (a newline; for paths, a place below /proc) proves the
    # variable is read and named as the source, whatever the option's type.
    with pytest.raises(OptionError, match=f"^{variable}: "):
        resolve({}, environ={variable: "/proc/\n not valid for any option"})


@pytest.mark.parametrize(("given", "env", "message"), [
    ({"tracking-uri": "http://x:5000", "cluster": True}, {}, "choose one target"),
    ({"local": True}, {"MLFLOW_CONFORMANCE_TRACKING_URI": "http://x:5000"}, "choose one target"),
    ({}, {"MLFLOW_CONFORMANCE_TRACKING_URI": "mlflow.example:5000"}, "not an http(s) URL"),
    ({}, {"MLFLOW_CONFORMANCE_PROFILE": "everything"}, "not one of: smoke, full, release"),
    ({}, {"MLFLOW_CONFORMANCE_PROBE_TIMEOUT": "-1"}, "greater than zero"),
    ({"fail-on": "regression"}, {}, "needs --baseline"),
    ({"kube-context": "prod"}, {}, "only applies with --cluster"),
])
def test_bad_settings_are_rejected_with_the_source_named(given, env, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        resolve(given, environ=env)


def run_pytest(*args, env=None, timeout=60):
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})},
                          check=False)
    return done, time.monotonic() - began


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--tracking-uri", "mlflow.example:5000"], {}, "not an http(s) URL"),
    (["--profile", "everything"], {}, "not one of: smoke, full, release"),
    (["--local", "--tracking-uri", "http://127.0.0.1:9"], {}, "choose one target"),
    ([], {"MLFLOW_CONFORMANCE_PROBE_TIMEOUT": "soon"}, "MLFLOW_CONFORMANCE_PROBE_TIMEOUT"),
])
def test_bad_input_is_one_line_exit_4_no_traceback(args, env, expected):
    done, _ = run_pytest(*args, env=env)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_cluster_without_kubeconfig_fails_fast_naming_what_it_tried(tmp_path):
    missing = tmp_path / "no-such-kubeconfig"
    done, elapsed = run_pytest("--cluster", "--kube-context", "prod",
                               env={"KUBECONFIG": str(missing)})
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(error_lines) == 1
    assert str(missing) in error_lines[0]
    assert "context prod" in error_lines[0]
    assert "Traceback" not in done.stderr
    assert elapsed < 20


def test_cluster_whose_api_server_is_down_fails_within_seconds(tmp_path):
    from tests.fault_servers import closed_port

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(f"""
apiVersion: v1
kind: Config
clusters:
- name: dead
  cluster: {{server: "https://127.0.0.1:{closed_port()}", insecure-skip-tls-verify: true}}
users:
- name: someone
  user: {{token: not-a-real-token}}
contexts:
- name: dead-context
  context: {{cluster: dead, user: someone}}
current-context: dead-context
""")
    done, elapsed = run_pytest("--cluster", env={"KUBECONFIG": str(kubeconfig)})
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no cluster reachable" in done.stderr
    assert str(kubeconfig) in done.stderr
    assert "not-a-real-token" not in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 20


def test_help_lists_the_option_group_with_environment_variables():
    done, _ = run_pytest("--help")
    assert "MLflow-on-Ilum conformance harness" in done.stdout
    for spec in OPTIONS:
        assert f"--{spec.name}" in done.stdout
    assert "MLFLOW_CONFORMANCE_TRACKING_URI" in done.stdout


def test_readme_documents_every_option():
    readme = (ROOT / "README.md").read_text()
    missing = [spec.name for spec in OPTIONS
               if f"`--{spec.name}`" not in readme or f"`{spec.env}`" not in readme]
    assert missing == []


def test_readme_documents_every_exit_code():
    from mlflow_conformance.report import gate

    assert gate.markdown_table() in (ROOT / "README.md").read_text()
