"""Driver against executors (Python, packages) and pyspark against the JVM: judgements over
environment.local_versions() records, collected once per session by ``collect``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mlflow_conformance.compat import environment
from mlflow_conformance.spark.executors import ExecutorError, failure

from ..findings import Finding, Outcome, passed
from .versions import EVIDENCE_PACKAGES, parse

Env = Mapping[str, Any]


def collect(spark: Any) -> dict[str, Any]:
    """The driver's environment, the executors' (or the Finding of their failure), the JVM's
    Spark version."""
    try:
        seen: list[dict[str, Any]] | Finding = environment.executor_versions(spark)
    except ExecutorError as exc:
        seen = failure(exc, "collecting executor versions")
    return {"driver": environment.local_versions(), "executors": seen,
            "jvm_spark": str(spark.version)}


def matrix_columns(collected: Mapping[str, Any]) -> dict[str, Any]:
    """collect()'s environments as results.json environment entries (version-matrix columns):
    the Spark driver, each distinct executor environment, and the JVM's Spark version."""
    def column(env: Env) -> dict[str, Any]:
        return {"python": env["python"], "host": env["host"], "executable": env["executable"],
                "packages": dict(env["packages"])}

    columns: dict[str, Any] = {"spark_driver": column(collected["driver"])}
    if collected["jvm_spark"] is not None:  # None: observed from probe pods, no Spark JVM
        columns["spark"] = {"jvm_spark": collected["jvm_spark"]}
    if not isinstance(collected["executors"], Finding):
        columns["spark_executors"] = [column(e) for e in collected["executors"]]
    return columns


def with_executors(collected: Mapping[str, Any],
                   judge: Callable[[Env, Sequence[Env]], Finding]) -> Finding:
    """judge(driver, executors), or the failure that kept executors from answering."""
    seen = collected["executors"]
    return seen if isinstance(seen, Finding) else judge(collected["driver"], seen)


def where(env: Env) -> str:
    """An executor environment's name in evidence: host and Python executable."""
    return f"{env.get('host')}:{env.get('executable')}"


def package_table(driver: Env, executors: Sequence[Env],
                  names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{package: {"driver": version, <where>: version, ...}}"""
    return {name: {"driver": driver["packages"].get(name),
                   **{where(e): e["packages"].get(name) for e in executors}} for name in names}


def judge_python(driver: Env, executors: Sequence[Env]) -> Finding:
    evidence = {"driver": driver["python"],
                "executors": {where(e): e["python"] for e in executors}}
    odd = [e for e in executors if e["python_minor"] != driver["python_minor"]]
    if odd:
        return Finding(Outcome.FAIL, "python_mismatch", f"driver Python {driver['python']}, "
                       f"executors {sorted({e['python'] for e in odd})}", evidence,
                       "run executors with the driver's Python minor version (same image, or "
                       "spark.pyspark.python)")
    return passed(f"Python {driver['python_minor']} on the driver and "
                  f"{len(executors)} executor environment(s)", **evidence)


def judge_spark(pyspark_version: str | None, jvm_version: str) -> Finding:
    evidence = {"pyspark": pyspark_version, "jvm_spark": jvm_version}
    ours, theirs = parse(pyspark_version), parse(jvm_version)
    remedy = f"install pyspark=={jvm_version}, the JVM's Spark version"
    if ours is None or theirs is None or ours[:2] != theirs[:2]:
        return Finding(Outcome.FAIL, "spark_version_mismatch", f"pyspark {pyspark_version} "
                       f"drives a Spark {jvm_version} JVM", evidence, remedy)
    if ours != theirs:
        return Finding(Outcome.WARN, "spark_version_mismatch", f"pyspark {pyspark_version} and "
                       f"JVM Spark {jvm_version} differ in patch level", evidence, remedy)
    return passed(f"pyspark and the JVM both run Spark {jvm_version}", **evidence)


def judge_packages(driver: Env, executors: Sequence[Env],
                   names: Sequence[str] = EVIDENCE_PACKAGES) -> Finding:
    table = package_table(driver, executors, names)
    evidence = {"packages": table}
    missing = sorted(f"{name} ({where})" for name, seen in table.items()
                     for where, version in seen.items() if version is None)
    if missing:
        return Finding(Outcome.WARN, "package_missing", f"not installed: {', '.join(missing)}",
                       evidence, "install the platform's client packages in the job image")
    drift = sorted(name for name, seen in table.items() if len(set(seen.values())) > 1)
    if drift:
        return Finding(Outcome.WARN, "package_drift", "driver and executors differ in: " +
                       ", ".join(f"{n} {sorted(set(table[n].values()))}" for n in drift),
                       evidence, "build driver and executor pods from the same image")
    return passed("same versions on driver and executors: " + ", ".join(
        f"{n} {table[n]['driver']}" for n in names), **evidence)
