"""Judgements over the documented example's runs (example.run evidence): what each
autologger captured, against what MLflow should capture and what the platform page says."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..findings import Finding, Outcome, passed
from .example import CUSTOM_PARAM, DATASOURCE_TAG, ESTIMATOR_PARAMS

Run = Mapping[str, Any]
ESTIMATOR_TAGS = ("estimator_name", "estimator_class")
# What the page says mlflow.spark.autolog() alone records for the example.
PAGE_PARAMS = tuple(ESTIMATOR_PARAMS)
PAGE_METRICS = ("rmse", "r2", "mae")
ML_AUTOLOG = "call mlflow.pyspark.ml.autolog() before fit (mlflow.spark.autolog() logs no params)"


def _summary(run: Run) -> dict[str, Any]:
    return {"run_id": run["run_id"], "variant": run["variant"]["name"],
            "autologs": run["autologs"], "params": run["params"], "metrics": run["metrics"],
            "tags": run["tags"], "fit_seconds": run.get("fit_seconds")}


def _missing(run: Run, what: str, remedy: str) -> Finding:
    return Finding(Outcome.FAIL, "not_captured", f"run {run['run_id']} "
                   f"({run['variant']['name']}) has no {what}", _summary(run), remedy)


def _same(logged: str, expected: float) -> bool:
    try:
        return math.isclose(float(logged), float(expected))
    except ValueError:
        return False


def judge_params(run: Run) -> Finding:
    absent = [name for name in ESTIMATOR_PARAMS if name not in run["params"]]
    if absent:
        return _missing(run, "param " + ", ".join(absent), ML_AUTOLOG)
    wrong = {name: run["params"][name] for name, value in ESTIMATOR_PARAMS.items()
             if not _same(run["params"][name], value)}
    if wrong:
        return Finding(Outcome.FAIL, "value_mismatch", f"params logged as {wrong}, the "
                       f"estimator was given {ESTIMATOR_PARAMS}", _summary(run),
                       "check that the logged run is the fit's run, not an earlier one")
    return passed(f"{len(run['params'])} params recorded, including "
                  + ", ".join(f"{k}={run['params'][k]}" for k in ESTIMATOR_PARAMS), **_summary(run))


def judge_tags(run: Run) -> Finding:
    absent = [tag for tag in ESTIMATOR_TAGS if tag not in run["tags"]]
    if absent:
        return _missing(run, "tag " + ", ".join(absent), ML_AUTOLOG)
    return passed("estimator tagged " + ", ".join(f"{t}={run['tags'][t]}"
                                                  for t in ESTIMATOR_TAGS), **_summary(run))


def judge_model(run: Run) -> Finding:
    model = run["model"]
    evidence = {**_summary(run), "model": model}
    if not model.get("uri"):
        return _missing(run, "logged model (no model/MLmodel, no LoggedModel of the run)",
                        ML_AUTOLOG + " with log_models=True")
    if model["sparkml_part_files"] == 0:
        return Finding(Outcome.FAIL, "sparkml_incomplete", f"{model['uri']}: sparkml/ holds "
                       f"{model['sparkml_files']} files and no part-* files", evidence,
                       "point MLFLOW_DFS_TMP at storage shared by driver and executors")
    if not model.get("loaded"):
        return Finding(Outcome.FAIL, "model_unloadable", f"{model['uri']} does not load: "
                       f"{model.get('load_error')}", evidence,
                       "compare the model's pyspark version with the job's; read the error")
    return passed(f"{model['uri']} ({model['sparkml_part_files']} part files) loaded and "
                  f"transformed {model['transformed_rows']} rows", **evidence)


def judge_metric(run: Run) -> Finding:
    found = sorted(name for name in run["metrics"] if name.startswith("rmse"))
    if not found:
        return _missing(run, "evaluator metric (rmse_*)", ML_AUTOLOG + ", then evaluate the "
                        "predictions with RegressionEvaluator inside the run")
    return passed(f"evaluator metric recorded: {found[0]}={run['metrics'][found[0]]:.4g}",
                  **_summary(run))


def judge_custom_param(run: Run) -> Finding:
    name, value = CUSTOM_PARAM
    if run["params"].get(name) != value:
        return _missing(run, f"custom param {name}={value}", "log custom params inside the "
                        "same `with mlflow.start_run()` block as the fit")
    return passed(f"{name}={value} is in the autologged run", **_summary(run))


def judge_datasource(run: Run, jar: Mapping[str, Any]) -> Finding:
    evidence = {**_summary(run), "jar": dict(jar)}
    if DATASOURCE_TAG in run["tags"]:
        return passed(f"{DATASOURCE_TAG}={run['tags'][DATASOURCE_TAG]}", **evidence)
    if not jar.get("present"):
        return Finding(Outcome.FAIL, "jar_missing", f"{jar['class']} does not load "
                       f"({jar.get('error')}); mlflow.spark.autolog() said: "
                       f"{run['autologs']['spark'].get('error', 'nothing')[:200]}", evidence,
                       "put org.mlflow:mlflow-spark_<scala version> on the Spark classpath")
    return _missing(run, f"{DATASOURCE_TAG} tag although the mlflow-spark jar loads",
                    "enable mlflow.spark.autolog() before reading the data")


def captured(run: Run) -> dict[str, Any]:
    """What one run recorded, in the terms of the page's claim."""
    return {"autologs": {k: v.get("error", "enabled" if v["enabled"] else "off")
                         for k, v in run["autologs"].items()},
            "params": sorted(p for p in run["params"] if p in PAGE_PARAMS),
            "metrics": sorted(run["metrics"]), "model": bool(run["model"].get("uri")),
            "tags": sorted(run["tags"])}


def judge_page_claim(documented: Run, corrected: Run) -> Finding:
    """The page's example (spark.autolog alone) against its promise of params, RMSE/r2/mae
    and the model; the corrected example shows where each capture really comes from."""
    seen = captured(documented)
    gaps = [f"param {p}" for p in PAGE_PARAMS if p not in seen["params"]]
    gaps += [f"metric {m}" for m in PAGE_METRICS
             if not any(name.startswith(m) for name in seen["metrics"])]
    gaps += [] if seen["model"] else ["the Spark model"]
    evidence = {"documented_example": seen, "pyspark_ml_autolog_with_evaluator":
                captured(corrected), "page_promises": {"params": list(PAGE_PARAMS),
                                                       "metrics": list(PAGE_METRICS),
                                                       "model": True}}
    if gaps:
        return Finding(Outcome.WARN, "docs_mismatch", "the page's example "
                       "(mlflow.spark.autolog() alone) did not record " + ", ".join(gaps),
                       evidence, "document mlflow.pyspark.ml.autolog() plus an Evaluator for "
                       "params, model and metrics; spark.autolog() only tags data sources")
    return passed("the page's example recorded the params, metrics and model it promises",
                  **evidence)
