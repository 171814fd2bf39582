"""The harness is one installable package: the plugin and the suites ship inside it, register
through the pytest11 entry point, and `mlflow-conformance run` works from an empty folder of
a virtualenv the wheel was installed into. Path options work when written as two words."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from mlflow_conformance.fixtures import plugin
from tests.inner_session import ROOT
from tests.registry_helpers import suite_env, target_args


def test_every_fixture_module_is_registered_or_a_declared_helper():
    modules = {path.stem for path in (ROOT / "fixtures").glob("*.py")}
    registered = {name.rsplit(".", 1)[-1] for name in plugin.pytest_plugins}
    assert modules - registered == set(plugin.HELPER_MODULES)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # Without build isolation: the build backend is the dev extra's setuptools, no download.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--no-build-isolation", str(ROOT), "-w", str(out)],
                   check=True, capture_output=True, timeout=300)
    [built] = out.glob("mlflow_conformance-*.whl")
    return built


def test_the_wheel_holds_plugin_suites_and_catalog_inside_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if "dist-info" not in name}
    assert top == {"mlflow_conformance"}  # no top-level `fixtures` or `suites`
    for expected in ("mlflow_conformance/fixtures/plugin.py",
                     "mlflow_conformance/suites/test_connectivity.py",
                     "mlflow_conformance/catalog/connectivity.toml"):
        assert expected in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names
                                                    if n.endswith("entry_points.txt")))
    assert b"[pytest11]\nmlflow_conformance = mlflow_conformance.fixtures.plugin" in entry_points
    assert b"mlflow-conformance = mlflow_conformance.cli:main" in entry_points


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtualenv with the wheel installed; its dependencies come from this
    environment's site-packages (a path entry, not a site dir: this checkout's editable
    install is not loaded there)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--no-deps", "--quiet", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return venv


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_CONFORMANCE_",
                                                                    "PYTEST_"))}
    return {**env, **extra}


def test_mlflow_conformance_run_works_from_an_empty_folder(installed, deployment, tmp_path):
    here = tmp_path / "empty"
    here.mkdir()
    done = subprocess.run(
        [str(installed / "bin" / "mlflow-conformance"), "run", "--profile", "smoke",
         "-k", "connectivity", "--tracking-uri", deployment.tracking_uri],
        cwd=here, env=clean_env(), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "5 passed" in done.stdout
    # The package's own copy ran, not this checkout.
    assert str(installed) in subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import mlflow_conformance.fixtures.plugin as p; print(p.__file__)"],
        cwd=here, capture_output=True, text=True, check=True, timeout=60).stdout
    [report] = (here / "reports").glob("[0-9]*/report.html")
    assert f"report: {report.resolve()}" in done.stdout
    results = json.loads((report.parent / "results.json").read_text())
    assert {r["id"]: r["outcome"] for r in results["requirements"]
            if r["id"].startswith("NET-")} == {f"NET-00{i}": "pass" for i in range(1, 6)}


def test_a_path_option_written_as_two_words_works(deployment, tmp_path):
    def run(*extra):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "suites/test_connectivity.py", "-p",
             "no:cacheprovider", "--tracking-uri", deployment.tracking_uri, *extra],
            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300,
            check=False)

    first = run("--report-dir", str(tmp_path / "first"))
    assert first.returncode == 0, first.stdout[-3000:]
    second = run("--report-dir", str(tmp_path / "second"),
                 "--baseline", str(tmp_path / "first" / "results.json"))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "baseline " in second.stdout
    assert json.loads((tmp_path / "second" / "results.json").read_text())["baseline"]


def test_work_shipped_to_executors_survives_pytest_rewriting_the_package(deployment, tmp_path):
    """`python -m pytest` in the checkout puts it on sys.path, and pytest then rewrites the
    package's modules: a function shipped to executors by value must not drag the rewriting
    import hook (and with it pytest's Config) into the pickle (STO-006 failed so)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/test_storage.py", "-k", "executor",
         "-p", "no:cacheprovider", *target_args(deployment, deployment.tracking_uri),
         "--report-dir", str(tmp_path / "report")],
        cwd=ROOT, env=suite_env(deployment, tmp_path), capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    codes = {t["requirements"][0]: t["code"] for t in results["tests"]}
    assert codes["STO-006"] == "ok", codes
