"""Bad input gets one line and exit code 4, up front, before any server starts (issue 13,
item 6): every converter of the option table rejects nonsense with a message naming the
problem, never quoting a password, and a real run given such a value stops at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlflow_conformance.options import OPTIONS_BY_NAME, OptionError, check_writable_dir, masked

ROOT = Path(__file__).parent.parent
PASSWORD = "s3cret"  # the password in every URI below: no message may show it

# (option, value, what the message must say). {tmp} is a folder holding `file` (a regular
# file) and `broken` (a symbolic link to nothing).
BAD_VALUES = [
    ("tracking-uri", "http://[::1", "an IPv6 host goes in brackets"),
    ("tracking-uri", "http://[not-an-address]:5000", "an IPv6 host goes in brackets"),
    ("tracking-uri", "http://h:abc", "port that is not a number from 1 to 65535"),
    ("tracking-uri", "http://h:0", "port that is not a number from 1 to 65535"),
    ("tracking-uri", "http://h:65536", "port that is not a number from 1 to 65535"),
    ("tracking-uri", f"http://user:{PASSWORD}@h:abc/x", "port that is not a number"),
    ("tracking-uri", f"http://user:{PASSWORD}@[::1", "an IPv6 host goes in brackets"),
    ("tracking-uri", f"user:{PASSWORD}@mlflow:5000", "not an http(s) URL"),
    ("tracking-uri", "ftp://mlflow.example", "not an http(s) URL (scheme ftp"),
    ("tracking-uri", "file:///tmp/mlruns", "not an http(s) URL (scheme file"),
    ("tracking-uri", "mlflow.example:5000", "not an http(s) URL"),
    ("tracking-uri", "http://", "not an http(s) URL with a host"),
    ("tracking-uri", "http://mlflow example:5000", "contains whitespace"),
    ("tracking-uri", "http://mlflow.example:5000\n", "contains whitespace"),
    ("tracking-uri", "", "is empty"),
    ("tracking-uri", "http://ml<flow>:5000", "characters no host name has"),
    ("s3-endpoint", "http://s3:abc", "port that is not a number"),
    ("s3-endpoint", "s3://bucket", "not an http(s) URL (scheme s3"),
    ("udf-min-rows-per-second", "nan", "not a finite number"),
    ("udf-min-rows-per-second", "inf", "not a finite number"),
    ("udf-min-rows-per-second", "-inf", "not a finite number"),
    ("udf-min-rows-per-second", "1e400", "not a finite number"),  # float() gives inf
    ("udf-min-rows-per-second", "0", "greater than zero"),
    ("udf-min-rows-per-second", "fast", "not a number"),
    ("probe-timeout", "nan", "not a finite number"),
    ("probe-timeout", "NaN", "not a finite number"),
    ("probe-timeout", "inf", "not a finite number"),
    ("probe-timeout", "-inf", "not a finite number"),
    ("probe-timeout", "-1", "greater than zero"),
    ("probe-timeout", "3601", "more than 3600 (an hour per network step at most)"),
    ("probe-timeout", "1e12", "more than 3600"),  # sockets overflow near 1e9 s
    ("backend-db-uri", "not a uri", "contains whitespace"),
    ("backend-db-uri", "mlflow-db", "is not a database URI"),
    ("backend-db-uri", f"postgresql+psycopg2://u:{PASSWORD}@db:abc/mlflow",
     "port that is not a number"),
    ("backend-db-uri", f"postgresql+psycopg2://u:{PASSWORD}@db:99999/mlflow",
     "port that is not a number"),
    ("backend-db-uri", f"postgresql+psycopg2://u:{PASSWORD}@[::1/mlflow", "unbalanced brackets"),
    ("backend-db-uri", f"oracle://u:{PASSWORD}@db/mlflow", "not a database MLflow supports"),
    ("backend-db-uri", f"postgresql+a+b://u:{PASSWORD}@db/mlflow",
     "not a database MLflow supports"),
    ("backend-db-uri", f"postgresql+nosuchdriver://u:{PASSWORD}@db/mlflow",
     "names a driver SQLAlchemy does not know"),
    ("backend-db-uri", f"mysql+nosuchdbapi://u:{PASSWORD}@db/mlflow", "does not know"),
    ("backend-db-uri", f"postgresql+psycopg2://u:{PASSWORD}@db/mlflow?password={PASSWORD}x y",
     "contains whitespace"),
    ("backend-db-uri", "sqlite://", "names no SQLite database file"),
    ("backend-db-uri", "sqlite:///{tmp}/missing.db", "no SQLite database file at"),
    ("report-dir", "{tmp}/file", "cannot be a folder: it is a file"),
    ("report-dir", "{tmp}/file/reports", "is below {tmp}/file, a file"),
    ("report-dir", "{tmp}/broken", "is a broken symbolic link"),
    ("report-dir", "/proc/mlflow-conformance-reports", "/proc is on proc"),
    ("report-dir", "", "is not a folder name"),
    ("baseline", "{tmp}/missing.json", "is not a file"),
    ("baseline", "{tmp}", "is not a file"),
    ("baseline", "", "is not a file"),
    ("namespace", "Ilum", "not a valid Kubernetes namespace name"),
    ("namespace", "ilum_ns", "not a valid Kubernetes namespace name"),
    ("namespace", "a" * 64, "at most 63"),
    ("kube-context", "", "not a kubeconfig context name"),
    ("kube-context", "prod\n", "not a kubeconfig context name"),
    ("kube-context", " prod", "not a kubeconfig context name"),
    ("s3-bucket", "s3://mlflow", "not an S3 bucket name (the name only: no s3://"),
    ("s3-bucket", "mlflow/artifacts", "not an S3 bucket name"),
    ("s3-bucket", "ab", "not an S3 bucket name"),
    ("s3-access-key", "AKIDEXAMPLE\n", "a copied newline?"),
    ("s3-secret-key", f" {PASSWORD}", "padded with spaces"),
    ("executor-s3-secret-key", "", "the value is empty"),
    ("spark-master", "local[0]", "not a Spark master URL"),
    ("spark-master", "lokal[2]", "not a Spark master URL"),
    ("spark-master", "spark://master", "not a Spark master URL"),
    ("profile", "everything", "not one of: smoke, full, release"),
    ("fail-on", "SHOULD", "not one of: must, should, regression"),
    ("artifact-mode", "s3", "not one of: proxied, direct"),
    ("spark-session", "remote", "not one of: here, cluster"),
    ("local", "maybe", "not a boolean"),
    ("cluster", "2", "not a boolean"),
]

GOOD_VALUES = [
    ("tracking-uri", "http://mlflow.example:5000/", "http://mlflow.example:5000"),
    ("tracking-uri", f"http://user:{PASSWORD}@mlflow.example:5000/prefix",
     f"http://user:{PASSWORD}@mlflow.example:5000/prefix"),  # credentials in the URI are legal
    ("tracking-uri", "https://[::1]:5000", "https://[::1]:5000"),
    ("tracking-uri", "http://mlflow_svc.ilum.svc", "http://mlflow_svc.ilum.svc"),
    ("probe-timeout", "3600", 3600.0),
    ("probe-timeout", "0.25", 0.25),
    ("udf-min-rows-per-second", "1e9", 1e9),
    ("backend-db-uri", f"postgresql+psycopg2://u:{PASSWORD}@[::1]:5432/mlflow",
     f"postgresql+psycopg2://u:{PASSWORD}@[::1]:5432/mlflow"),
    ("backend-db-uri", "postgresql+psycopg2:///mlflow?host=/run/postgresql",
     "postgresql+psycopg2:///mlflow?host=/run/postgresql"),
    ("backend-db-uri", "sqlite:///{tmp}/file", "sqlite:///{tmp}/file"),
    ("report-dir", "{tmp}", "{tmp}"),
    ("report-dir", "{tmp}/not/yet/there", "{tmp}/not/yet/there"),
    ("baseline", "{tmp}/file", "{tmp}/file"),
    ("kube-context", "arn:aws:eks:eu-west-1:123:cluster/ilum prod",
     "arn:aws:eks:eu-west-1:123:cluster/ilum prod"),
    ("s3-bucket", "mlflow", "mlflow"),
    ("s3-bucket", "Legacy_Bucket.2019", "Legacy_Bucket.2019"),
    ("spark-master", "local[*]", "local[*]"),
    ("spark-master", "local[4,2]", "local[4,2]"),
    ("spark-master", "spark://a:7077,b:7077", "spark://a:7077,b:7077"),
    ("spark-master", "k8s://https://10.0.0.1:6443", "k8s://https://10.0.0.1:6443"),
]


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("not a folder\n")
    (tmp_path / "broken").symlink_to(tmp_path / "nowhere")
    return tmp_path


@pytest.mark.parametrize(("option", "value", "message"), BAD_VALUES)
def test_the_converter_names_the_problem(option: str, value: str, message: str,
                                         tmp: Path) -> None:
    with pytest.raises(OptionError) as raised:
        OPTIONS_BY_NAME[option].convert(value.format(tmp=tmp))
    assert message.format(tmp=tmp) in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert "\n" not in str(raised.value)  # one line, whatever the value held


@pytest.mark.parametrize(("option", "value", "expected"), GOOD_VALUES)
def test_sensible_values_are_still_accepted(option: str, value: str, expected: object,
                                            tmp: Path) -> None:
    converted = OPTIONS_BY_NAME[option].convert(value.format(tmp=tmp))
    assert converted == (expected.format(tmp=tmp) if isinstance(expected, str) else expected)


def test_the_report_dir_check_creates_nothing(tmp_path: Path) -> None:
    check_writable_dir(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("value", "shown"), [
    ("http://user:pa@ss@host:5000/x", "http://user:***@host:5000/x"),  # unencoded @ inside
    ("user:pass@host:5000", "user:***@host:5000"),  # the scheme left out
    ("postgresql://h/db?password=pass&sslmode=require",
     "postgresql://h/db?password=***&sslmode=require"),
    ("http://host:5000/path", "http://host:5000/path"),  # nothing to hide
])
def test_masked_hides_passwords_and_nothing_else(value: str, shown: str) -> None:
    assert masked(value) == shown


# A real run for a representative subset: (arguments, environment, what names the option).
RUNS = [
    (["--tracking-uri", "http://[::1"], {}, "--tracking-uri"),
    (["--tracking-uri", "http://mlflow.example:abc"], {}, "--tracking-uri"),
    (["--tracking-uri", f"http://user:{PASSWORD}@[::1"], {}, "--tracking-uri"),
    (["--udf-min-rows-per-second", "nan"], {}, "--udf-min-rows-per-second"),
    ([], {"MLFLOW_CONFORMANCE_PROBE_TIMEOUT": "nan"}, "MLFLOW_CONFORMANCE_PROBE_TIMEOUT"),
    (["--tracking-uri", "http://127.0.0.1:9", "--backend-db-uri",
      f"postgresql://u:{PASSWORD}@db:abc/mlflow"], {}, "--backend-db-uri"),
    ([], {"MLFLOW_CONFORMANCE_BACKEND_DB_URI": f"mongodb://u:{PASSWORD}@db/mlflow"},
     "MLFLOW_CONFORMANCE_BACKEND_DB_URI"),
    (["--report-dir={tmp}/file/reports"], {}, "--report-dir"),
    ([], {"MLFLOW_CONFORMANCE_REPORT_DIR": "/proc/reports"}, "MLFLOW_CONFORMANCE_REPORT_DIR"),
    ([], {"MLFLOW_CONFORMANCE_S3_BUCKET": "s3://mlflow"}, "MLFLOW_CONFORMANCE_S3_BUCKET"),
]


def _clean_environment(tag: str, extra: dict[str, str]) -> dict[str, str]:
    # Nothing of the outer session's target may leak in: the inner run sees only `extra`.
    kept = {k: v for k, v in os.environ.items() if not k.startswith(
        ("MLFLOW_CONFORMANCE_", "AWS_", "MLFLOW_S3_", "MLFLOW_TRACKING_"))}
    return {**kept, "MC_BAD_INPUT_TAG": tag, **extra}


def _processes_tagged(tag: str) -> list[str]:
    """Processes whose environment carries ``tag``: anything the inner run started and left."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"MC_BAD_INPUT_TAG={tag}".encode() in environ.read_bytes().split(b"\0"):
                found.append((environ.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                             .decode(errors="replace"))
        except OSError:
            continue  # gone, or a kernel thread
    return found


@pytest.mark.parametrize(("args", "env", "names"), RUNS)
def test_a_run_stops_at_once_with_one_line_and_exit_4(args: list[str], env: dict[str, str],
                                                      names: str, tmp: Path) -> None:
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *(a.format(tmp=tmp) for a in args),
         "-p", "no:cacheprovider", "suites/test_connectivity.py"],
        cwd=ROOT, env=_clean_environment(tag, env), capture_output=True, text=True,
        timeout=60, check=False)
    elapsed = time.monotonic() - began
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, output[-2000:]
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, output[-2000:]
    assert names in errors[0]
    assert "Traceback" not in output
    assert PASSWORD not in output
    # Refused before collection, so before any fixture could start a stack or probe a server.
    assert "[mlflow-conformance]" not in output
    assert "collected" not in output
    assert _processes_tagged(tag) == []
    assert elapsed < 20, f"took {elapsed:.1f} s"  # about 2 s; margin for a loaded machine
