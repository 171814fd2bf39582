"""What a registered model needs from the executors (its python_env.yaml and requirements.txt)
against what they run (env_policy.collect: driver and executor environments), judged before
any spark_udf is tried (E2): Spark refuses a worker of another Python minor version, and a
model unpickled under other package versions may fail or predict differently."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..compat.env_policy import Env, package_table, where, with_executors
from ..compat.versions import parse
from ..findings import Finding, Outcome, passed

# The packages spark_udf itself moves data with, on both sides of the Arrow boundary.
UDF_PACKAGES = ("mlflow", "pandas", "pyarrow", "cloudpickle")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def parse_model_env(python_env: str, requirements: str) -> dict[str, Any]:
    """python_env.yaml and requirements.txt as {python, pins, unpinned}."""
    import yaml

    python = str((yaml.safe_load(python_env) or {}).get("python", ""))
    pins: dict[str, str] = {}
    unpinned: list[str] = []
    for line in requirements.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        found = PIN.match(line)
        if found:
            pins[found[1].lower().replace("_", "-")] = found[2]
        else:
            unpinned.append(line)
    return {"python": python, "pins": pins, "unpinned": unpinned}


def read_model_env(model_uri: str) -> dict[str, Any]:
    """Download the model's environment files as spark_udf would find them."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="mlflow-conformance-model-") as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
        env = parse_model_env((local / "python_env.yaml").read_text(),
                              (local / "requirements.txt").read_text())
    return {"uri": model_uri, **env}


def _minor(version: str | None) -> tuple[int, int] | None:
    parsed = parse(version) or parse(f"{version}.0")  # python_env may say "3.11"
    return parsed[:2] if parsed else None


def judge_python(collected: Mapping[str, Any], model: Mapping[str, Any]) -> Finding:
    def judge(driver: Env, executors: Sequence[Env]) -> Finding:
        seen = {where(e): e["python"] for e in executors}
        evidence = {"driver": driver["python"], "executors": seen, "model": model["python"],
                    "model_uri": model["uri"]}
        odd = sorted({e["python"] for e in executors
                      if e["python_minor"] != driver["python_minor"]})
        if odd:
            return Finding(Outcome.FAIL, "python_mismatch", f"driver Python {driver['python']}"
                           f", executors {odd}: Spark refuses such workers", evidence,
                           "run executors with the driver's Python minor version")
        unlike = sorted({v for v in seen.values() if _minor(v) != _minor(model["python"])})
        if unlike:
            return Finding(Outcome.FAIL, "model_env_mismatch", f"model logged with Python "
                           f"{model['python']}, executors run {unlike}", evidence,
                           "log the model with the job image's Python, or rebuild the image")
        return passed(f"Python {driver['python_minor']} on driver, executors and in the "
                      f"model's python_env.yaml ({model['python']})", **evidence)

    return with_executors(collected, judge)


def judge_packages(collected: Mapping[str, Any], model: Mapping[str, Any]) -> Finding:
    def judge(driver: Env, executors: Sequence[Env]) -> Finding:
        drift, unfit, unobserved = [], [], []
        for env in executors:
            have, place = env["packages"], where(env)
            for name in UDF_PACKAGES:
                ours, theirs = driver["packages"].get(name), have.get(name)
                if theirs is None or _minor(theirs) != _minor(ours):
                    drift.append(f"{name} driver {ours} / executor {theirs} ({place})")
            for name, pinned in sorted(model["pins"].items()):
                if name not in have:
                    unobserved.append(name)
                elif _minor(have[name]) != _minor(pinned):
                    unfit.append(f"{name}=={pinned} / executor {have[name]} ({place})")
        evidence = {"model_uri": model["uri"], "model_pins": dict(model["pins"]),
                    "udf_packages": package_table(driver, executors, UDF_PACKAGES),
                    "not_observed_on_executors": sorted(set(unobserved))}
        if unfit:
            return Finding(Outcome.FAIL, "model_env_mismatch", "the model's requirements "
                           "differ on executors: " + "; ".join(unfit), evidence,
                           "install the model's requirements.txt in the job image")
        if drift:
            return Finding(Outcome.FAIL, "package_drift", "spark_udf's packages differ "
                           "between driver and executors: " + "; ".join(drift), evidence,
                           "build driver and executor pods from the same image")
        return passed(f"{', '.join(UDF_PACKAGES)} match the driver and the model's "
                      f"{len(model['pins'])} pins fit the executors", **evidence)

    return with_executors(collected, judge)
