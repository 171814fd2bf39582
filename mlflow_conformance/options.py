"""Every command-line option of the harness, each mirrored by an environment variable.

One table, one resolution helper: the pytest plugin registers options from this table, the
CLI reuses it, and the README's options table is checked against it. Values are resolved
once at configure time (command line, then the option's own variable, then any standard
variable it falls back to, then the default) and validated by converters that raise
:class:`OptionError`; the plugin turns that into ``pytest.UsageError``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse


class OptionError(ValueError):
    """A bad option value: reported as one line, no traceback."""


def http_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise OptionError(f"{value!r} is not an http(s) URL with a host (e.g. http://host:5000)")
    return value.rstrip("/")


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"{value!r} is not a number") from None
    if number <= 0:
        raise OptionError(f"{value!r} must be greater than zero")
    return number


def choice(*allowed: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if value not in allowed:
            raise OptionError(f"{value!r} is not one of: {', '.join(allowed)}")
        return value

    convert.__name__ = "one of " + "|".join(allowed)
    return convert


def dns_label(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", value):
        raise OptionError(f"{value!r} is not a valid Kubernetes namespace name")
    return value


def text(value: str) -> str:
    return value


def flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise OptionError(f"{value!r} is not a boolean (use 1/0, true/false)")


@dataclass(frozen=True)
class OptionSpec:
    name: str  # the long flag without dashes, e.g. "tracking-uri"
    help: str
    convert: Callable[[str], Any] = text
    default: Any = None
    is_flag: bool = False
    metavar: str | None = None
    fallback_env: tuple[str, ...] = ()  # standard variables read when ours is unset
    secret: bool = False

    @property
    def dest(self) -> str:
        return "mc_" + self.name.replace("-", "_")

    @property
    def env(self) -> str:
        return "MLFLOW_CONFORMANCE_" + self.name.upper().replace("-", "_")


PROFILES = ("smoke", "full", "release")
ARTIFACT_MODES = ("proxied", "direct")

OPTIONS: tuple[OptionSpec, ...] = (
    # Targets: exactly one; none named means --local.
    OptionSpec("local", "Run against the embedded reference stack (default when no target is "
               "named); reuses a stack started with `python -m mlflow_conformance stack up`.",
               flag, False, True),
    OptionSpec("tracking-uri", "Run against the MLflow tracking server at URL.", http_url,
               metavar="URL"),
    OptionSpec("cluster", "Run against a live Kubernetes cluster (kubeconfig).", flag, False, True),
    OptionSpec("kube-context", "kubeconfig context for --cluster (default: current context).",
               metavar="NAME"),
    OptionSpec("namespace", "Namespace of the platform's MLflow for --cluster.", dns_label, "ilum",
               metavar="NS"),
    # The deployment's artifact store and credentials, for --tracking-uri.
    OptionSpec("s3-endpoint", "S3 endpoint URL of the artifact store.", http_url, metavar="URL",
               fallback_env=("MLFLOW_S3_ENDPOINT_URL",)),
    OptionSpec("s3-bucket", "Artifact bucket.", text, metavar="NAME"),
    OptionSpec("s3-access-key", "S3 access key the drivers use.", text, metavar="KEY",
               fallback_env=("AWS_ACCESS_KEY_ID",)),
    OptionSpec("s3-secret-key", "S3 secret key the drivers use.", text, metavar="SECRET",
               fallback_env=("AWS_SECRET_ACCESS_KEY",), secret=True),
    OptionSpec("executor-s3-access-key", "S3 access key of the executors, where it differs.", text,
               metavar="KEY"),
    OptionSpec("executor-s3-secret-key", "S3 secret key of the executors, where it differs.", text,
               metavar="SECRET", secret=True),
    OptionSpec("backend-db-uri", "SQLAlchemy URI of the backend store, when reachable (enables the "
               "schema check).", text, metavar="URI", secret=True),
    # The embedded stack.
    OptionSpec("artifact-mode", "Artifact mode of the embedded stack's server: proxied "
               "(mlflow-artifacts:/) or direct (s3://).", choice(*ARTIFACT_MODES), "proxied",
               metavar="MODE"),
    # Spark.
    OptionSpec("spark-master", "Spark master for the Spark suites (local[N] runs Spark here; "
               "the cluster target will run Spark work in the cluster).", text, "local[2]",
               metavar="URL"),
    OptionSpec("spark-session", "Where the Spark suites' driver runs: here (this process) or "
               "cluster (a driver pod; comes with the cluster target).", choice("here", "cluster"),
               "here", metavar="WHERE"),
    OptionSpec("udf-min-rows-per-second", "spark_udf throughput below this fails "
               "(below_threshold).", positive_float, 20000.0, metavar="ROWS"),
    # Behaviour.
    OptionSpec("profile", "Which checks run: smoke (read-only, fast), full, release.",
               choice(*PROFILES), "full", metavar="NAME"),
    OptionSpec("probe-timeout", "Seconds allowed for each network step of a probe.", positive_float,
               3.0, metavar="SECONDS"),
    OptionSpec("fail-on", "What makes the exit code non-zero: must (a must requirement fails), "
               "should (any must or should fails), regression (only new failures against "
               "--baseline). pytest owns --strict, so `--fail-on should` is the strict mode.",
               choice("must", "should", "regression"), "must", metavar="LEVEL"),
    OptionSpec("baseline", "results.json of the last good run: each requirement is classified "
               "as new failure, still failing, not rechecked, fixed, unchanged, new requirement "
               "or removed.", text, metavar="PATH"),
    OptionSpec("report-dir", "Where results.json, report.html and junit.xml are written "
               "(default reports/<timestamp>/).", text, metavar="DIR"),
)

OPTIONS_BY_NAME: Mapping[str, OptionSpec] = {spec.name: spec for spec in OPTIONS}


@dataclass(frozen=True)
class Settings:
    """The resolved options: read once at configure time, passed around, never global."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def target(self) -> str:
        if self.values.get("cluster"):
            return "cluster"
        if self.values.get("tracking-uri"):
            return "remote"
        return "local"


def resolve(given: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every option: command line, our variable, standard variables, default.

    ``given`` holds command-line values by option name (None/False where not given).
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec in OPTIONS:
        raw = given.get(spec.name)
        source = f"--{spec.name}"
        if raw in (None, False):
            for env in (spec.env, *spec.fallback_env):
                if environ.get(env):
                    raw, source = environ[env], env
                    break
        if raw in (None, False):
            values[spec.name] = spec.default
            continue
        try:
            # Command-line values were converted by argparse already; env values are text.
            values[spec.name] = spec.convert(raw) if isinstance(raw, str) else raw
        except OptionError as exc:
            raise OptionError(f"{source}: {exc}") from None
    targets = [name for name in ("local", "tracking-uri", "cluster") if values.get(name)]
    if len(targets) > 1:
        raise OptionError("choose one target: " + " and ".join("--" + t for t in targets)
                          + " were both given")
    if values["fail-on"] == "regression" and not values["baseline"]:
        raise OptionError("--fail-on regression needs --baseline PATH")
    if values["baseline"] and not os.path.isfile(values["baseline"]):
        raise OptionError(f"--baseline: {values['baseline']!r} is not a file")
    if values["kube-context"] and not values["cluster"]:
        raise OptionError("--kube-context only applies with --cluster")
    return Settings(values)
