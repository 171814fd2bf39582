"""S3A in the Spark JVM, inspected through py4j: Hadoop's version, whether S3AFileSystem and
the AWS SDK load and from which jars, the fs.s3a.* settings, and a real s3a:// write/read.

Collection talks to the JVM; judging is pure over the collected evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..findings import Finding, Outcome, passed

S3A_CLASS = "org.apache.hadoop.fs.s3a.S3AFileSystem"
SDK_V1 = "com.amazonaws.services.s3.AmazonS3"  # Hadoop 3.3.x: aws-java-sdk-bundle
SDK_V2 = "software.amazon.awssdk.services.s3.S3Client"  # Hadoop 3.4+: software.amazon.awssdk
SHOWN = ("fs.s3a.endpoint", "fs.s3a.path.style.access", "fs.s3a.endpoint.region",
         "fs.s3a.connection.ssl.enabled", "fs.s3a.impl", "fs.s3.impl")
HIDDEN = ("fs.s3a.access.key", "fs.s3a.secret.key")  # presence only, never the value
_JAR_VERSION = re.compile(r"hadoop-aws-(\d+\.\d+\.\d+)")


def _load(jvm: Any, name: str) -> dict[str, Any]:
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    try:
        cls = jvm.java.lang.Class.forName(name, False, loader)
    except Exception as exc:  # noqa: BLE001 - Py4JJavaError: ClassNotFoundException and kin
        return {"loaded": False, "error": _java_error(exc)}
    source = cls.getProtectionDomain().getCodeSource()
    return {"loaded": True, "jar": source.getLocation().toString() if source else None,
            "implementation_version": cls.getPackage().getImplementationVersion()}


def _java_error(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    return (java.toString() if java is not None else str(exc)).splitlines()[0][:400]


def collect(spark: Any) -> dict[str, Any]:
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    classes = {name: _load(jvm, name) for name in (S3A_CLASS, SDK_V1, SDK_V2)}
    s3a = classes[S3A_CLASS]
    found = _JAR_VERSION.search(s3a.get("jar") or "")
    return {"hadoop_version": str(jvm.org.apache.hadoop.util.VersionInfo.getVersion()),
            "spark_version": spark.version, "classes": classes,
            "hadoop_aws_version": found.group(1) if found else s3a.get("implementation_version"),
            **settings_of(conf.get)}


def settings_of(get: Callable[[str], Any]) -> dict[str, Any]:
    """The fs.s3a.* evidence from a configuration's getter (the JVM's Hadoop configuration,
    or the deployment description's Hadoop settings): the shown values, the credentials'
    presence only."""
    return {"settings": {key: get(key) for key in SHOWN},
            "secrets_present": {key: bool(get(key)) for key in HIDDEN}}


def needed_sdk(hadoop_version: str) -> str:
    major, minor = (int(p) for p in hadoop_version.split(".")[:2])
    return SDK_V2 if (major, minor) >= (3, 4) else SDK_V1


def judge_classes(evidence: Mapping[str, Any]) -> Finding:
    hadoop = evidence["hadoop_version"]
    classes, sdk = evidence["classes"], needed_sdk(hadoop)
    if not classes[S3A_CLASS]["loaded"]:
        return Finding(Outcome.FAIL, "jar_missing", f"{S3A_CLASS} does not load in the Spark JVM "
                       f"(Hadoop {hadoop}): {classes[S3A_CLASS]['error']}", evidence,
                       f"add hadoop-aws-{hadoop}.jar and its AWS SDK to the Spark image's jars")
    if evidence["hadoop_aws_version"] and evidence["hadoop_aws_version"] != hadoop:
        return Finding(Outcome.FAIL, "jar_version_mismatch", f"hadoop-aws "
                       f"{evidence['hadoop_aws_version']} on a Hadoop {hadoop} JVM "
                       f"({classes[S3A_CLASS]['jar']})", evidence,
                       f"use hadoop-aws-{hadoop}.jar, the JVM's exact Hadoop version")
    if not classes[sdk]["loaded"]:
        return Finding(Outcome.FAIL, "jar_missing", f"Hadoop {hadoop} needs the AWS SDK class "
                       f"{sdk}, which does not load: {classes[sdk]['error']}", evidence,
                       "add the AWS SDK bundle that hadoop-aws was built against")
    return passed(f"S3AFileSystem from {classes[S3A_CLASS]['jar']} and {sdk} from "
                  f"{classes[sdk]['jar']} load on Hadoop {hadoop}", **evidence)


def judge_settings(evidence: Mapping[str, Any], s3_endpoint: str | None,
                   keys_expected: bool) -> Finding:
    settings, present = evidence["settings"], evidence["secrets_present"]
    missing = ["fs.s3a.endpoint"] if s3_endpoint and not settings.get("fs.s3a.endpoint") else []
    if keys_expected:
        missing += [key for key in HIDDEN if not present[key]]
    if missing:
        return Finding(Outcome.FAIL, "s3a_setting_missing", f"missing from the job's Hadoop "
                       f"configuration: {', '.join(missing)}", evidence,
                       "set " + ", ".join(f"spark.hadoop.{k}" for k in missing) +
                       " in the platform's Spark defaults")
    endpoint = settings.get("fs.s3a.endpoint") or ""
    path_style = str(settings.get("fs.s3a.path.style.access")).lower() == "true"
    if endpoint and "amazonaws.com" not in endpoint and not path_style:
        return Finding(Outcome.FAIL, "s3a_path_style_off", f"endpoint {endpoint} is not AWS but "
                       f"fs.s3a.path.style.access is {settings.get('fs.s3a.path.style.access')}",
                       evidence, "set spark.hadoop.fs.s3a.path.style.access=true")
    return passed(f"fs.s3a settings present (endpoint {endpoint or 'AWS default'}, path-style "
                  f"{path_style})", **evidence)
