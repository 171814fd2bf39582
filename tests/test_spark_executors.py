"""The executors' environment against a model's: executors swapped for real to another
Python (another minor version where this machine has one; the same minor without the
venv's packages), and the judgements on recorded environments."""

import sys
from pathlib import Path

import pytest

from mlflow_conformance.compat import env_policy, environment
from mlflow_conformance.findings import Outcome
from mlflow_conformance.spark import model_env, sample_model, udf

from .spark_helpers import env, executor_python, other_minor_python

PYTHON_ENV = "python: 3.11.7\nbuild_dependencies:\n- pip==24.0\ndependencies:\n" \
             "- -r requirements.txt\n"
REQUIREMENTS = "mlflow==3.17.2\ncloudpickle==3.1.2\nnumpy==2.4.6\npandas==3.1.1\n" \
               "scikit-learn==1.9.1\nscipy==1.17.0\n# a comment\nsome-tool\n"
MODEL = {"uri": "models:/m@champion", **model_env.parse_model_env(PYTHON_ENV, REQUIREMENTS)}
DRIVER = env("3.11.7", mlflow="3.17.2", pandas="3.1.1", pyarrow="25.0.1",
             cloudpickle="3.1.2", numpy="2.4.6", **{"scikit-learn": "1.9.1"})


def collected(*executors):
    return {"driver": DRIVER, "executors": list(executors), "jvm_spark": "3.5.3"}


@pytest.fixture(scope="module")
def saved_model_env(tmp_path_factory):
    """The environment files of a real logged model (this interpreter's Python and pins)."""
    path = tmp_path_factory.mktemp("model") / "model"
    model, features, predictions = sample_model.train(rows=200)
    import mlflow

    mlflow.sklearn.save_model(model, str(path), **sample_model.log_kwargs(
        "linear_regression", features, predictions))
    return model_env.read_model_env(str(path))


def test_model_env_files_are_parsed():
    assert MODEL["python"] == "3.11.7"
    assert MODEL["pins"]["scikit-learn"] == "1.9.1"
    assert MODEL["unpinned"] == ["some-tool"]


def test_same_environments_pass():
    assert model_env.judge_python(collected(DRIVER), MODEL).outcome is Outcome.PASS
    assert model_env.judge_packages(collected(DRIVER), MODEL).outcome is Outcome.PASS


def test_recorded_executor_at_another_minor_is_a_python_mismatch():
    finding = model_env.judge_python(collected(env("3.12.1", **DRIVER["packages"])), MODEL)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "python_mismatch")


def test_model_logged_with_another_python_is_a_model_env_mismatch():
    older = {**MODEL, "python": "3.10.13"}
    assert model_env.judge_python(collected(DRIVER), older).code == "model_env_mismatch"


def test_package_minor_drift_and_model_pins():
    drifted = env("3.11.7", **{**DRIVER["packages"], "pyarrow": "19.0.1"})
    assert model_env.judge_packages(collected(drifted), MODEL).code == "package_drift"
    older_sklearn = env("3.11.7", **{**DRIVER["packages"], "scikit-learn": "1.8.0"})
    assert model_env.judge_packages(collected(older_sklearn), MODEL).code == "model_env_mismatch"
    patched = env("3.11.7", **{**DRIVER["packages"], "scikit-learn": "1.9.0"})
    assert model_env.judge_packages(collected(patched), MODEL).outcome is Outcome.PASS


def test_this_driver_and_its_executors_fit_a_model_logged_here(spark, saved_model_env):
    seen = env_policy.collect(spark)
    assert model_env.judge_python(seen, saved_model_env).outcome is Outcome.PASS
    finding = model_env.judge_packages(seen, saved_model_env)
    assert finding.outcome is Outcome.PASS, finding


@pytest.mark.fault("SPK-020", "python_mismatch")
def test_executors_on_another_python_minor_are_a_python_mismatch(spark, saved_model_env):
    other = other_minor_python()
    if other is None:
        pytest.skip("no interpreter of another Python minor version on this machine; the "
                    "judgement is covered on recorded evidence above")
    with executor_python(spark, other):
        seen = env_policy.collect(spark)
    finding = model_env.judge_python(seen, saved_model_env)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "python_mismatch"), finding
    assert "PYTHON_VERSION_MISMATCH" in finding.message


@pytest.mark.fault("SPK-021", "model_env_mismatch")
def test_executors_without_the_model_packages_are_a_model_env_mismatch(spark, saved_model_env):
    # The venv's own base interpreter: same Python minor, none of the venv's packages.
    bare = Path(sys.base_prefix) / "bin" / Path(sys.executable).name
    with executor_python(spark, str(bare)):
        seen = env_policy.collect(spark)
    assert model_env.judge_python(seen, saved_model_env).outcome is Outcome.PASS
    finding = model_env.judge_packages(seen, saved_model_env)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "model_env_mismatch"), finding
    assert "mlflow==" in finding.message


def test_a_failed_preflight_stops_spark_udf_before_it_is_tried():
    preflight = model_env.judge_python(collected(env("3.12.1", **DRIVER["packages"])), MODEL)
    # spark=None: the UDF path would crash at once if anything tried it.
    finding = udf.check(None, MODEL["uri"], sample_model.COLUMNS, 10, preflight)
    assert (finding.outcome, finding.code) == (Outcome.FAIL, "python_mismatch")
    assert finding.message.startswith("spark_udf not tried")


def test_environment_records_still_have_the_fields_judged():
    local = environment.local_versions()
    assert {"python", "python_minor", "executable", "host", "packages"} <= set(local)
    assert set(model_env.UDF_PACKAGES) <= set(local["packages"])
