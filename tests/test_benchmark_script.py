"""scripts/benchmark_run.py without running a benchmark: its arguments, its environment for the
runs (never a kept stack), what counts, the median and the per-phase figures."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / "scripts" / "benchmark_run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmark_run", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_arguments_after_the_separator_go_to_pytest(bench):
    args, pytest_args = bench.parse(["--repeat", "5", "--json", "--", "-k", "udf", "--json"])
    assert (args.repeat, args.json, pytest_args) == (5, True, ["-k", "udf", "--json"])
    args, pytest_args = bench.parse([])
    assert (args.repeat, args.json, pytest_args) == (3, False, [])


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_repeat_must_be_a_positive_whole_number(bench, bad, capsys):
    with pytest.raises(SystemExit) as exited:
        bench.parse(["--repeat", bad])
    assert exited.value.code == 2
    assert "--repeat" in capsys.readouterr().err


def test_runs_never_reuse_a_kept_stack_nor_name_another_target(bench, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_CONFORMANCE_STACK_POINTER", "/somewhere/kept-pointer")
    monkeypatch.setenv("MLFLOW_CONFORMANCE_TRACKING_URI", "http://elsewhere:5000")
    env = bench.child_env(tmp_path)
    assert env["MLFLOW_CONFORMANCE_STACK_POINTER"] == str(tmp_path / "no-kept-stack")
    assert not Path(env["MLFLOW_CONFORMANCE_STACK_POINTER"]).exists()
    assert "MLFLOW_CONFORMANCE_TRACKING_URI" not in env


def test_the_runs_use_the_pytest_beside_this_python(bench):
    command = bench.pytest_command()
    beside = Path(sys.executable).parent / "pytest"
    assert command == ([str(beside)] if beside.exists() else [sys.executable, "-m", "pytest"])


def test_only_runs_that_exit_0_cold_and_reach_the_verdict_count(bench):
    good = bench.Run(1, (0.1, 0.2, 0.3), exit_code=0, wall=70.0, to_verdict=66.0, stack=8.0)
    failed = bench.Run(2, (0.1, 0.2, 0.3), exit_code=1, wall=60.0, to_verdict=58.0)
    warm = bench.Run(3, (0.1, 0.2, 0.3), exit_code=0, wall=50.0, to_verdict=49.0, cold=False)
    cut = bench.Run(4, (0.1, 0.2, 0.3), exit_code=0, wall=10.0)  # no verdict line
    assert [r.counted for r in (good, failed, warm, cut)] == [True, False, False, False]
    data = bench.summary([good, failed, warm, cut], [])
    assert (data["counted"], data["median_to_verdict"], data["median_wall"]) == (1, 66.0, 70.0)


def test_median_of_an_even_count_and_of_none(bench):
    assert bench.median([70.0, 64.0, 66.0]) == 66.0
    assert bench.median([60.0, 61.0]) == 60.5
    assert bench.median([]) is None


def test_phase_figures_sum_per_suite_file_and_rank_setups(bench):
    results = {"tests": [
        {"nodeid": "suites/test_a.py::t1", "duration": 9.0,
         "phases": {"setup": 8.5, "call": 0.4, "teardown": 0.1}},
        {"nodeid": "suites/test_a.py::t2", "duration": 1.0,
         "phases": {"setup": 0.0, "call": 1.0, "teardown": 0.0}},
        {"nodeid": "suites/test_b.py::t3", "duration": 2.0, "phases": {"setup": 2.0}},
        {"nodeid": "suites/test_b.py::t4", "duration": 0.5},  # no phases recorded
    ]}
    figures = bench.phase_figures(results)
    assert figures["files"] == {"suites/test_a.py": {"setup": 8.5, "total": 10.0},
                                "suites/test_b.py": {"setup": 2.0, "total": 2.5}}
    assert [s["nodeid"] for s in figures["slowest_setups"][:2]] == [
        "suites/test_a.py::t1", "suites/test_b.py::t3"]
    assert figures["tests_total"] == 12.5


def test_smoke_mode_runs_the_smoke_profile_against_the_kept_stack(bench, tmp_path, monkeypatch):
    args, pytest_args = bench.parse(["--smoke", "--repeat", "5", "--", "-k", "versions"])
    assert (args.smoke, args.repeat) == (True, 5)
    assert bench.own_args(args.smoke, pytest_args) == ["--profile", "smoke", "-k", "versions"]
    assert bench.own_args(False, pytest_args) == ["-k", "versions"]
    monkeypatch.setenv("MLFLOW_CONFORMANCE_STACK_POINTER", "/somewhere/kept-pointer")
    monkeypatch.setenv("MLFLOW_CONFORMANCE_PROFILE", "full")  # never another profile
    env = bench.child_env(tmp_path, kept_stack=True)
    assert env["MLFLOW_CONFORMANCE_STACK_POINTER"] == "/somewhere/kept-pointer"
    assert "MLFLOW_CONFORMANCE_PROFILE" not in env


def test_smoke_runs_count_only_when_they_reused_the_kept_stack(bench):
    reused = bench.Run(1, (0.1, 0.2, 0.3), exit_code=0, wall=4.0, to_verdict=3.0, cold=False,
                       kept_stack=True)
    own = bench.Run(2, (0.1, 0.2, 0.3), exit_code=0, wall=20.0, to_verdict=19.0, cold=True,
                    kept_stack=True)
    assert [r.counted for r in (reused, own)] == [True, False]
    data = bench.summary([reused, own], ["--profile", "smoke"])
    assert (data["counted"], data["median_wall"]) == (1, 4.0)
    assert isinstance(data["bytecode_cache"], bool)


def test_smoke_mode_refuses_without_a_kept_stack(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_CONFORMANCE_STACK_POINTER", str(tmp_path / "no-pointer"))
    assert bench.main(["--smoke", "--repeat", "1"]) == 4
    assert "stack up" in capsys.readouterr().err
