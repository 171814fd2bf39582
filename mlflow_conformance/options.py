"""Every command-line option of the harness, each mirrored by an environment variable.

One table, one resolution helper: the pytest plugin registers options from this table, the
CLI reuses it, and the README's options table is checked against it. Values are resolved
once at configure time (command line, then the option's own variable, then any standard
variable it falls back to, then the default) and validated by converters that raise
:class:`OptionError`; the plugin turns that into ``pytest.UsageError``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


class OptionError(ValueError):
    """A bad option value: reported as one line, no traceback."""


# Converters: each takes the text as given (command line or environment) and returns the value
# or raises OptionError naming the problem. The message is printed before the redactor knows
# any secret, so a converter never quotes a password (see masked()) nor a secret option.


def masked(value: str) -> str:
    """``value`` as a message may quote it: a password in ``user:password@`` or in a
    ``password=`` parameter becomes ***. Text-based, so it covers values that do not parse."""
    # The user part starts after :// (or at the start when the scheme was left out) and the
    # password runs to the LAST @: an unencoded @ inside it must not leave its tail showing.
    start = r"//" if "://" in value else r"^"
    hidden = re.sub(rf"({start}[^:/@\s]*):.*@", r"\1:***@", value)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", hidden)


def _reject_whitespace(value: str, shown: str) -> None:
    # A copied newline or a space inside a URL is never meant; requests and SQLAlchemy would
    # fail on it later, far from the option that caused it.
    if not value or re.search(r"\s", value):
        raise OptionError(f"{shown!r} is empty or contains whitespace")


def _bad_port(shown: str) -> OptionError:
    return OptionError(f"{shown!r} has a port that is not a number from 1 to 65535")


def http_url(value: str) -> str:
    shown = masked(value)
    _reject_whitespace(value, shown)
    try:
        parsed = urlparse(value)
    except ValueError:  # unbalanced or non-address brackets
        raise OptionError(f"{shown!r} is not a valid URL: an IPv6 host goes in brackets "
                          "(e.g. http://[::1]:5000)") from None
    try:
        port = parsed.port  # parses on access: 'abc' and 99999 raise only here
    except ValueError:
        raise _bad_port(shown) from None
    if parsed.scheme not in ("http", "https"):
        raise OptionError(f"{shown!r} is not an http(s) URL (scheme "
                          f"{parsed.scheme or 'missing'}; e.g. http://host:5000)")
    if not parsed.hostname:
        raise OptionError(f"{shown!r} is not an http(s) URL with a host (e.g. http://host:5000)")
    if "[" not in parsed.netloc and not re.fullmatch(r"\w([\w.-]*\w)?", parsed.hostname):
        raise OptionError(f"{shown!r} has a host name with characters no host name has")
    if port == 0:
        raise _bad_port(shown)
    return value.rstrip("/")


# What MLflow's SQL store accepts (mlflow.store.db.db_types.DATABASE_ENGINES).
DB_BACKENDS = ("postgresql", "mysql", "mssql", "sqlite")
DB_EXAMPLE = "e.g. postgresql+psycopg2://user:password@host:5432/mlflow"


def database_uri(value: str) -> str:
    """A SQLAlchemy URI of a backend MLflow supports, whose driver is installed and, for
    SQLite, whose file exists. Nothing connects here: that is the schema check's job."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = masked(value)
    _reject_whitespace(value, shown)
    if value.count("[") != value.count("]"):
        raise OptionError(f"{shown!r} is not a database URI: unbalanced brackets around an "
                          "IPv6 host")
    try:
        url = make_url(value)
    except ArgumentError:
        raise OptionError(f"{shown!r} is not a database URI ({DB_EXAMPLE})") from None
    except ValueError:  # make_url's int(port)
        raise _bad_port(shown) from None
    if url.get_backend_name() not in DB_BACKENDS or url.drivername.count("+") > 1:
        raise OptionError(f"{shown!r} is not a database MLflow supports "
                          f"({', '.join(DB_BACKENDS)}; {DB_EXAMPLE})")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise _bad_port(shown)
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise OptionError(f"{shown!r} names a driver SQLAlchemy does not know "
                          f"({url.drivername})") from None
    except ImportError as exc:
        # SQLAlchemy 2.1 reads plain postgresql:// as psycopg (3), often not installed.
        raise OptionError(f"{shown!r} needs the Python package {exc.name or 'of its driver'}, "
                          "which is not installed; install it or name an installed driver "
                          "(e.g. postgresql+psycopg2://)") from None
    if url.get_backend_name() == "sqlite" and url.query.get("uri") != "true":
        # SQLite would create a missing file: an empty store, not the deployment's.
        if not url.database or url.database == ":memory:":
            raise OptionError(f"{shown!r} names no SQLite database file "
                              "(sqlite:///path/to/mlflow.db)")
        if not os.path.isfile(url.database):
            raise OptionError(f"{shown!r}: no SQLite database file at {url.database}")
    return value


def _number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        # nan compares false with everything: a threshold that never fails, a timeout that
        # crashes the socket call.
        raise OptionError(f"{value!r} is not a finite number")
    return number


def positive_float(value: str) -> float:
    number = _number(value)
    if number <= 0:
        raise OptionError(f"{value!r} must be greater than zero")
    return number


def positive_float_at_most(limit: float, why: str) -> Callable[[str], float]:
    def convert(value: str) -> float:
        number = positive_float(value)
        if number > limit:
            raise OptionError(f"{value!r} is more than {limit:g} ({why})")
        return number

    convert.__name__ = f"number in (0, {limit:g}]"
    return convert


def choice(*allowed: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if value not in allowed:
            raise OptionError(f"{value!r} is not one of: {', '.join(allowed)}")
        return value

    convert.__name__ = "one of " + "|".join(allowed)
    return convert


def dns_label(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", value):
        raise OptionError(f"{value!r} is not a valid Kubernetes namespace name (lowercase "
                          "letters, digits and '-', at most 63, starting and ending alphanumeric)")
    return value


def dns_label_list(value: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in value.split(","))
    for name in names:
        dns_label(name)
    return tuple(dict.fromkeys(names))


OBJECT_KINDS = ("configmap", "secret")


def object_refs(value: str) -> tuple[tuple[str, str], ...]:
    """configmap/NAME,secret/NAME → (("configmap", NAME), ("secret", NAME))."""
    refs = []
    for part in value.split(","):
        kind, _, name = part.strip().partition("/")
        if kind.lower() not in OBJECT_KINDS or not name:
            raise OptionError(f"{part.strip()!r} is not configmap/NAME or secret/NAME")
        refs.append((kind.lower(), dns_label(name)))
    return tuple(dict.fromkeys(refs))


def image_ref(value: str) -> str:
    # registry/repo:tag or @sha256:…; rejects what no runtime would pull (spaces, empty).
    if not re.fullmatch(r"[a-z0-9][a-z0-9._/:@-]*[a-z0-9]", value):
        raise OptionError(f"{value!r} is not a container image reference "
                          "(e.g. ilum/spark:3.5.3-mlflow)")
    return value


def _clean_text(value: str) -> bool:
    """Not empty, not padded with spaces, no control characters (a copied newline)."""
    return bool(value) and value == value.strip() and value.isprintable()


def kube_name(value: str) -> str:
    # kubeconfig names are free text, but never empty, padded or multi-line.
    if not _clean_text(value):
        raise OptionError(f"{value!r} is not a kubeconfig context name (empty, padded with "
                          "spaces or holding control characters)")
    return value


def bucket_name(value: str) -> str:
    # The loosest S3 rule (legacy us-east-1 names: 3-255 of letters, digits, . _ -): rejects
    # what is surely not a bucket name (s3://bucket, bucket/prefix, spaces) and nothing more.
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]", value):
        raise OptionError(f"{value!r} is not an S3 bucket name (the name only: no s3://, no "
                          "/prefix; 3-255 letters, digits, '.', '_' or '-')")
    return value


def credential(value: str) -> str:
    # Never quoted: it may be a secret. A key read from a file often keeps its newline, and
    # the server then answers SignatureDoesNotMatch, far from the cause.
    if not _clean_text(value):
        raise OptionError("the value is empty, padded with spaces or holds control characters "
                          "(a copied newline?)")
    return value


# local, local[N], local[*], local[N,F], local-cluster[N,C,M], spark://h:p[,h:p], yarn, k8s://
SPARK_MASTER = re.compile(r"local(\[([1-9]\d*|\*)(\s*,\s*[1-9]\d*)?\])?"
                          r"|local-cluster\[\s*[1-9]\d*\s*,\s*[1-9]\d*\s*,\s*[1-9]\d*\s*\]"
                          r"|spark://[^\s,/:]+:\d+(,[^\s,/:]+:\d+)*|yarn|k8s://\S+")


def spark_master(value: str) -> str:
    if not SPARK_MASTER.fullmatch(value):
        raise OptionError(f"{value!r} is not a Spark master URL (local[N] with N >= 1, "
                          "local[*], spark://host:port, yarn or k8s://...)")
    return value


def existing_file(value: str) -> str:
    if not os.path.isfile(value):
        raise OptionError(f"{value!r} is not a file")
    return value


def check_writable_dir(path: str | os.PathLike[str]) -> None:
    """Raise OptionError unless ``path`` is a folder this process can write in, or could be
    created as one. Creates nothing: a run that is refused must leave nothing behind.

    Checked on the path, or its nearest existing ancestor: a folder (not a file, not a broken
    link), writable by this user (access(); root passes it everywhere), on a file system that
    is neither mounted read-only nor a kernel one such as /proc, where root's mkdir fails too.
    """
    given = os.fspath(path)
    if not given:
        raise OptionError("'' is not a folder name")
    target = Path(os.path.abspath(given))
    existing = target
    while not os.path.lexists(existing):
        existing = existing.parent
    if existing.is_symlink() and not existing.exists():
        raise OptionError(f"{given!r} cannot be a folder: {existing} is a broken symbolic link")
    if not existing.is_dir():
        what = "is a file" if existing == target else f"is below {existing}, a file"
        raise OptionError(f"{given!r} cannot be a folder: it {what}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OptionError(f"{given!r} is not writable: {existing} does not let this user write")
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        raise OptionError(f"{given!r} is not writable: {existing} is on a read-only file system")
    kind = _mount_type(existing)
    if kind in PSEUDO_FILE_SYSTEMS:
        raise OptionError(f"{given!r} is not writable: {existing} is on {kind}, a kernel file "
                          "system that holds no folders of ours")


# Kernel file systems where access() says yes to root and mkdir still fails.
PSEUDO_FILE_SYSTEMS = frozenset({"proc", "sysfs", "cgroup", "cgroup2", "devpts", "securityfs",
                                 "debugfs", "tracefs", "configfs", "bpf", "pstore", "efivarfs"})


def _mount_type(path: Path) -> str | None:
    """The type of the file system ``path`` is on (Linux: /proc/self/mounts), else None."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")  # the kernel escapes spaces as octal
        inside = path == Path(point) or Path(point) in path.parents
        if inside and len(point) >= len(best):  # the deepest mount holding path wins
            best, kind = point, fields[2]
    return kind


def writable_dir(value: str) -> str:
    check_writable_dir(value)
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
# A profile's own defaults for options not given (command line or environment): a release
# gate is strict without being told.
PROFILE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {"release": {"fail-on": "should"}}
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
               kube_name, metavar="NAME"),
    OptionSpec("namespace", "Namespace of the platform's MLflow for --cluster.", dns_label, "ilum",
               metavar="NS"),
    # The platform's objects under --cluster: names as the Helm chart makes them (defaults),
    # overridable where a cluster names them otherwise.
    OptionSpec("job-namespaces", "Namespaces where the platform runs Spark jobs: probe pods run "
               "in each (comma-separated; default: --namespace).", dns_label_list,
               metavar="NS,..."),
    OptionSpec("mlflow-deployment", "Name of the MLflow server's Deployment.", dns_label,
               "ilum-mlflow", metavar="NAME"),
    OptionSpec("mlflow-service", "Name of the MLflow tracking Service.", dns_label,
               "ilum-mlflow-tracking", metavar="NAME"),
    OptionSpec("job-settings", "Where the platform keeps what it injects into Spark jobs: "
               "configmap/NAME and secret/NAME, comma-separated, in each job namespace "
               "(keys spark.* are Spark settings, the others environment variables).",
               object_refs, "configmap/ilum-mlflow-job-env,secret/ilum-mlflow-job-credentials",
               metavar="KIND/NAME,..."),
    OptionSpec("executor-job-settings", "What executors get instead, where it differs "
               "(default: --job-settings).", object_refs, metavar="KIND/NAME,..."),
    OptionSpec("spark-service-account", "ServiceAccount of Spark drivers (probe pods run as it).",
               dns_label, "ilum-spark", metavar="NAME"),
    OptionSpec("executor-service-account", "ServiceAccount of Spark executors (default: "
               "--spark-service-account).", dns_label, metavar="NAME"),
    OptionSpec("probe-image", "Image of the probe pods: the platform's Spark image, so that "
               "what runs is what jobs get.", image_ref, "ilum/spark:3.5.3-mlflow",
               metavar="IMAGE"),
    OptionSpec("pod-timeout", "Seconds a probe pod may take from creation to its result "
               "(scheduling, image pull, the probe); past it the pod's state is the verdict.",
               positive_float_at_most(3600, "an hour per pod at most"), 90.0, metavar="SECONDS"),
    OptionSpec("dry-run", "With --cluster: write every manifest the run would apply into the "
               "report folder, validate them, create nothing.", flag, False, True),
    OptionSpec("ingress-url", "Base URL of MLflow's Ingress as reached from here (default: "
               "from the Ingress rule that routes to the tracking Service).", http_url,
               metavar="URL"),
    OptionSpec("outsider-namespace", "A namespace outside the platform's, where the "
               "isolation check runs a probe pod that must NOT reach the tracking Service.",
               dns_label, "default", metavar="NS"),
    # The deployment's artifact store and credentials, for --tracking-uri.
    OptionSpec("s3-endpoint", "S3 endpoint URL of the artifact store.", http_url, metavar="URL",
               fallback_env=("MLFLOW_S3_ENDPOINT_URL",)),
    OptionSpec("s3-bucket", "Artifact bucket.", bucket_name, metavar="NAME"),
    OptionSpec("s3-access-key", "S3 access key the drivers use.", credential, metavar="KEY",
               fallback_env=("AWS_ACCESS_KEY_ID",)),
    OptionSpec("s3-secret-key", "S3 secret key the drivers use.", credential, metavar="SECRET",
               fallback_env=("AWS_SECRET_ACCESS_KEY",), secret=True),
    OptionSpec("executor-s3-access-key", "S3 access key of the executors, where it differs.",
               credential, metavar="KEY"),
    OptionSpec("executor-s3-secret-key", "S3 secret key of the executors, where it differs.",
               credential, metavar="SECRET", secret=True),
    OptionSpec("backend-db-uri", "SQLAlchemy URI of the backend store, when reachable (enables the "
               "schema check).", database_uri, metavar="URI", secret=True),
    # The embedded stack.
    OptionSpec("artifact-mode", "Artifact mode of the embedded stack's server: proxied "
               "(mlflow-artifacts:/) or direct (s3://).", choice(*ARTIFACT_MODES), "proxied",
               metavar="MODE"),
    # Spark.
    OptionSpec("spark-master", "Spark master for the Spark suites (local[N] runs Spark here; "
               "the cluster target will run Spark work in the cluster).", spark_master, "local[2]",
               metavar="URL"),
    OptionSpec("spark-session", "Where the Spark suites' driver runs: here (this process) or "
               "cluster (a driver pod; comes with the cluster target).", choice("here", "cluster"),
               "here", metavar="WHERE"),
    OptionSpec("udf-min-rows-per-second", "spark_udf throughput below this fails "
               "(below_threshold).", positive_float, 20000.0, metavar="ROWS"),
    OptionSpec("slow-step-seconds", "A tracking canary step slower than this warns "
               "(slow_response, TRK-007).", positive_float_at_most(600, "ten minutes a step "
               "at most"), 5.0, metavar="SECONDS"),
    # Behaviour.
    OptionSpec("profile", "Which checks run and what gates: smoke (the read-only checks "
               "only, no Spark session: changes nothing, seconds), full (every check; the "
               "latency and throughput thresholds are reported but do not gate), release "
               "(full, and the thresholds gate; --fail-on should unless --fail-on is given; "
               "with --baseline a new failure gates too).",
               choice(*PROFILES), "full", metavar="NAME"),
    OptionSpec("probe-timeout", "Seconds allowed for each network step of a probe.",
               # An hour per step already turns a dead server into a day-long run; past ~1e9 s
               # the socket layer itself overflows.
               positive_float_at_most(3600, "an hour per network step at most"), 3.0,
               metavar="SECONDS"),
    # TLS, as the MLflow client and boto3 read it (mlflow_conformance/tls.py applies it).
    OptionSpec("tracking-ca-bundle", "CA bundle (PEM) that signs the tracking server's "
               "certificate, for every client of the server (probe, REST, MLflow client).",
               existing_file, metavar="PATH",
               fallback_env=("MLFLOW_TRACKING_SERVER_CERT_PATH",)),
    OptionSpec("tracking-insecure-tls", "Do not verify the tracking server's certificate "
               "(MLflow's MLFLOW_TRACKING_INSECURE_TLS); wins over --tracking-ca-bundle.",
               flag, False, True, fallback_env=("MLFLOW_TRACKING_INSECURE_TLS",)),
    OptionSpec("tracking-client-cert", "Client certificate with its key (one PEM file) sent to "
               "the tracking server (mutual TLS).", existing_file, metavar="PATH",
               fallback_env=("MLFLOW_TRACKING_CLIENT_CERT_PATH",)),
    OptionSpec("s3-ca-bundle", "CA bundle (PEM) that signs the S3 endpoint's certificate.",
               existing_file, metavar="PATH",
               fallback_env=("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")),
    OptionSpec("fail-on", "What makes the exit code non-zero: must (a must requirement fails), "
               "should (any must or should fails), regression (only new failures against "
               "--baseline). pytest owns --strict, so `--fail-on should` is the strict mode "
               "(the default of --profile release).",
               choice("must", "should", "regression"), "must", metavar="LEVEL"),
    OptionSpec("baseline", "results.json of the last good run: each requirement is classified "
               "as new failure, still failing, not rechecked, fixed, unchanged, new requirement "
               "or removed.", existing_file, metavar="PATH"),
    OptionSpec("collect", "Also write a diagnostics bundle, bundle.tar.gz, into the report "
               "folder: the reports, the environment, the server's version, the harness's and "
               "the embedded stack's logs (tailed), every file redacted, with a manifest.",
               flag, False, True),
    OptionSpec("report-dir", "Where results.json, report.html and junit.xml are written "
               "(default reports/<timestamp>/).", writable_dir, metavar="DIR"),
)

OPTIONS_BY_NAME: Mapping[str, OptionSpec] = {spec.name: spec for spec in OPTIONS}


@dataclass(frozen=True, repr=False)
class Settings:
    """The resolved options: read once at configure time, passed around, never global."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __repr__(self) -> str:
        # pytest -l and tracebacks print locals: secret options show as set, never their value,
        # and a password inside a URI (--backend-db-uri, --tracking-uri) is masked.
        def shown(name: str, value: Any) -> Any:
            spec = OPTIONS_BY_NAME.get(name)
            if value and spec is not None and spec.secret:
                return "***"
            return masked(value) if isinstance(value, str) else value

        return f"Settings({ {n: shown(n, v) for n, v in self.values.items()}!r})"

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
    defaulted: set[str] = set()
    for spec in OPTIONS:
        raw = given.get(spec.name)
        source = f"--{spec.name}"
        if raw in (None, False):
            for env in (spec.env, *spec.fallback_env):
                if environ.get(env):
                    raw, source = environ[env], env
                    break
        if raw in (None, False):
            # A default written as text reads as the same option given would (a list, a
            # pair): the converter makes it the value's type.
            values[spec.name] = (spec.convert(spec.default) if isinstance(spec.default, str)
                                 else spec.default)
            defaulted.add(spec.name)
            continue
        try:
            # Command-line values were converted by argparse already; env values are text.
            values[spec.name] = spec.convert(raw) if isinstance(raw, str) else raw
        except OptionError as exc:
            raise OptionError(f"{source}: {exc}") from None
    for name, value in PROFILE_DEFAULTS.get(values["profile"], {}).items():
        if name in defaulted:
            values[name] = value
    targets = [name for name in ("local", "tracking-uri", "cluster") if values.get(name)]
    if len(targets) > 1:
        raise OptionError("choose one target: " + " and ".join("--" + t for t in targets)
                          + " were both given")
    if values["fail-on"] == "regression" and not values["baseline"]:
        raise OptionError("--fail-on regression needs --baseline PATH")
    for name in ("kube-context", "dry-run"):
        if values[name] and not values["cluster"]:
            raise OptionError(f"--{name} only applies with --cluster")
    return Settings(values)
