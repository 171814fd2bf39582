"""The executors' environment against the registered model's (E2): Python and the packages
spark_udf and the model need, judged before any spark_udf is tried."""

import pytest

from mlflow_conformance.spark import model_env


@pytest.mark.requirement("SPK-020")
def test_executors_run_the_python_the_model_needs(runtime_environments, udf_model_env, check):
    check(model_env.judge_python(runtime_environments, udf_model_env))


@pytest.mark.requirement("SPK-021")
def test_executors_have_the_model_packages(runtime_environments, udf_model_env, check):
    check(model_env.judge_packages(runtime_environments, udf_model_env))
