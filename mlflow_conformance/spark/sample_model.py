"""A small scikit-learn model for the spark_udf checks: trained here on synthetic data,
logged with a signature (one double output, so spark_udf's result type is double), and -
for the registry path - registered with an alias and, as the page's URI needs, a stage."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COLUMNS = tuple(f"f{i}" for i in range(10))
ALIAS = "champion"
STAGE = "Production"
KINDS = ("linear_regression", "hist_gradient_boosting")


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    columns: tuple[str, ...] = COLUMNS
    alias: str = ALIAS
    stage: str = STAGE
    stage_warnings: list[str] = field(default_factory=list)

    @property
    def alias_uri(self) -> str:
        return f"models:/{self.name}@{self.alias}"

    @property
    def stage_uri(self) -> str:
        return f"models:/{self.name}/{self.stage}"


def train(kind: str = "linear_regression", rows: int = 2000) -> tuple[Any, Any, Any]:
    """(model, features, predictions as a named Series) on a fixed random problem."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.random((rows, len(COLUMNS))), columns=list(COLUMNS))
    target = features.to_numpy() @ rng.normal(size=len(COLUMNS)) + rng.normal(size=rows) * 0.1
    model = (LinearRegression() if kind == "linear_regression"
             else HistGradientBoostingRegressor(max_iter=100, random_state=0))
    model.fit(features, target)
    return model, features, pd.Series(model.predict(features), name="prediction")


def log_kwargs(kind: str, features: Any, predictions: Any) -> dict[str, Any]:
    from mlflow.models import infer_signature

    kwargs: dict[str, Any] = {"signature": infer_signature(features, predictions)}
    if kind != "linear_regression":
        # skops refuses the gradient-boosting internals as untrusted types.
        kwargs["serialization_format"] = "cloudpickle"
    return kwargs


def register(name: str, experiment_id: str, tags: dict[str, str],
             on_run: Callable[[str], None], kind: str = "linear_regression") -> Registered:
    """Log the model in a run, register it as ``name``, set the alias and the stage."""
    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    model, features, predictions = train(kind)
    client.create_registered_model(name, tags=tags)
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"spark_udf_{kind}",
                          tags=tags) as run:
        on_run(run.info.run_id)
        info = mlflow.sklearn.log_model(model, name="model",
                                        **log_kwargs(kind, features, predictions))
    version = mlflow.register_model(info.model_uri, name, tags=tags).version
    client.set_registered_model_alias(name, ALIAS, version)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client.transition_model_version_stage(name, version, STAGE)  # deprecated since 2.9
    return Registered(name, str(version), stage_warnings=[
        f"{w.category.__name__}: {str(w.message)[:160]}" for w in seen])
