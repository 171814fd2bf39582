"""The tiny scikit-learn model the registry checks log, register, load back and predict with.

A linear regression on the platform's example columns (feature_1..3): cheap to train and
log, and its predictions are exact, so a model loaded from the registry must predict what
the trained one predicts. It is saved in MLflow's default format (skops since 3.x); plain
linear models need no skops_trusted_types (LOCAL-STACK-FACTS: tree ensembles would).
"""

from __future__ import annotations

from typing import Any

FEATURES = ("feature_1", "feature_2", "feature_3")
COEFFICIENTS = (1.5, -2.0, 0.5)
INTERCEPT = 0.25
ROWS_TO_PREDICT = 5


def training_frame(rows: int = 20) -> Any:
    import pandas as pd

    return pd.DataFrame({name: [float((i * (k + 3)) % 11) for i in range(rows)]
                         for k, name in enumerate(FEATURES)})


def train() -> tuple[Any, Any]:
    """The fitted model and the frame it was fitted on."""
    from sklearn.linear_model import LinearRegression

    frame = training_frame()
    target = sum(c * frame[f] for c, f in zip(COEFFICIENTS, FEATURES, strict=True)) + INTERCEPT
    return LinearRegression().fit(frame, target), frame


def log(model: Any, frame: Any) -> Any:
    """Log into the active run as a driver would (explicit requirements: no dependency
    inference, which can hang; FAILURE-MODES D4)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    return mlflow.sklearn.log_model(
        model, name="model", signature=infer_signature(frame, model.predict(frame)),
        pip_requirements=["scikit-learn", "pandas"])


def compare(expected: Any, got: Any) -> list[str]:
    """Pure: how predictions ``got`` differ from ``expected`` (empty when they agree)."""
    import numpy as np

    want = np.asarray(expected, dtype=float).ravel()
    have = np.asarray(got, dtype=float).ravel()
    if want.shape != have.shape:
        return [f"{have.size} predictions for {want.size} rows"]
    wrong = [i for i, (w, h) in enumerate(zip(want, have, strict=True))
             if not np.isclose(w, h, rtol=1e-6, atol=1e-9)]
    return [f"row {i}: predicted {have[i]}, expected {want[i]}" for i in wrong]
