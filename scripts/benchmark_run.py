"""Time the full local conformance run with the embedded stack started cold (issue 10), or
(--smoke) a `--profile smoke` run against the stack kept up by `stack up` (issue 14).

    .venv/bin/python scripts/benchmark_run.py [--repeat 3] [--json] [-- pytest args]
    .venv/bin/python -m mlflow_conformance stack up
    .venv/bin/python scripts/benchmark_run.py --smoke [--repeat 5]

Each repetition is a fresh `.venv/bin/pytest -p no:cacheprovider` (the pytest beside this
Python, as `make conformance` runs it) in the checkout, with its own temporary --report-dir.
A stack kept up by `python -m mlflow_conformance stack up` is never reused: the runs get
MLFLOW_CONFORMANCE_STACK_POINTER naming a file that does not exist, so each one starts (and
stops) its own stack; a run that says it reused a stack anyway is not counted. The harness's
other MLFLOW_CONFORMANCE_* variables are dropped, so the environment cannot name another
target.

With --smoke each run is `--profile smoke` against the kept stack instead: the runs keep
MLFLOW_CONFORMANCE_STACK_POINTER as given (the kept stack's pointer), the script refuses to
start (exit 4) when no kept stack is running, and only runs that say they reused it count.
Whether Python may write bytecode caches (PYTHONDONTWRITEBYTECODE) is recorded: without them
every run compiles the harness's modules again, about 2 s of a smoke run.

Per run: the load average before it, the wall time until the "verdict:" line and until exit,
the exit code, the stack's start-up as the run reports it, and from results.json where the
setup time went (a session fixture's start-up lands in the setup of the first test that needs
it). The median counts only runs that exited 0; the others are listed, with their output's
tail, and make this script exit 1. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
POINTER_ENV = "MLFLOW_CONFORMANCE_STACK_POINTER"
STACK_READY = re.compile(r"starting the embedded stack … done in ([0-9.]+) s")
REUSED = "reusing the stack kept up"
TOP_SETUPS = 6


@dataclass
class Run:
    index: int
    load: tuple[float, float, float]
    exit_code: int = -1
    wall: float = 0.0  # seconds until the process exited (the stack's stop included)
    to_verdict: float | None = None  # seconds until the "verdict:" line
    verdict: str = ""
    stack: float | None = None  # the stack's start-up as the run printed it
    cold: bool = True
    kept_stack: bool = False  # --smoke: the run must reuse the kept stack to count
    phases: dict[str, Any] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return (self.exit_code == 0 and self.cold != self.kept_stack
                and self.to_verdict is not None)


def split_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Own options before `--`, pytest's after it."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1:]
    return argv, []


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, pytest_args = split_args(argv)
    parser = argparse.ArgumentParser(
        description="Median wall time of the full local conformance run, stack started cold "
                    "(or, with --smoke, of smoke runs against the kept stack).",
        epilog="Arguments after `--` go to pytest.")
    parser.add_argument("--repeat", type=positive, default=3, help="runs (default 3)")
    parser.add_argument("--smoke", action="store_true",
                        help="time `--profile smoke` against the stack kept up by `python -m "
                             "mlflow_conformance stack up` (it must be running)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--show-output", action="store_true",
                        help="pass each run's output through (to stderr)")
    return parser.parse_args(own), pytest_args


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def phase_figures(results: dict[str, Any]) -> dict[str, Any]:
    """Where the time went: per suite file the time of its tests and of their setups (where
    the session fixtures a file is the first to need start), and the run's slowest setups."""
    files: dict[str, dict[str, float]] = {}
    setups: list[tuple[float, str]] = []
    for test in results.get("tests", []):
        phases = test.get("phases") or {}
        setup = float(phases.get("setup", 0.0))
        name = test["nodeid"].split("::")[0]
        entry = files.setdefault(name, {"setup": 0.0, "total": 0.0})
        entry["setup"] = round(entry["setup"] + setup, 2)
        entry["total"] = round(entry["total"] + float(test.get("duration", 0.0)), 2)
        setups.append((setup, test["nodeid"]))
    setups.sort(reverse=True)
    return {"files": files,
            "slowest_setups": [{"nodeid": n, "setup": round(s, 2)}
                               for s, n in setups[:TOP_SETUPS]],
            "tests_total": round(sum(f["total"] for f in files.values()), 1)}


def pytest_command() -> list[str]:
    """`.venv/bin/pytest`, as `make conformance` runs it. Not `python -m pytest`: that puts the
    checkout on sys.path, where pytest finds mlflow_conformance.egg-info (left by an editable
    install or a wheel build) and assertion-rewrites the whole package, which changes the run
    (modules shipped to executors by value then carry pytest's import hook)."""
    script = Path(sys.executable).parent / "pytest"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]


def child_env(scratch: Path, kept_stack: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_CONFORMANCE_")}
    if kept_stack:
        if os.environ.get(POINTER_ENV):  # the kept stack this environment names
            env[POINTER_ENV] = os.environ[POINTER_ENV]
    else:
        env[POINTER_ENV] = str(scratch / "no-kept-stack")  # never exists: the stack starts cold
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def own_args(smoke: bool, pytest_args: list[str]) -> list[str]:
    """The pytest arguments of each run: --smoke adds the profile (a later one given after
    `--` wins, as pytest takes the last)."""
    return ["--profile", "smoke", *pytest_args] if smoke else list(pytest_args)


def kept_stack_running() -> bool:
    """Whether `stack status` (in this Python, with this environment) finds a kept stack."""
    done = subprocess.run([sys.executable, "-m", "mlflow_conformance", "stack", "status"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode == 0


def run_once(index: int, pytest_args: list[str], show: bool, kept_stack: bool = False) -> Run:
    run = Run(index, os.getloadavg(), kept_stack=kept_stack)
    with tempfile.TemporaryDirectory(prefix="mc-benchmark-") as folder:
        scratch = Path(folder)
        report_dir = scratch / "report"
        argv = [*pytest_command(), "-p", "no:cacheprovider", f"--report-dir={report_dir}",
                *pytest_args]
        began = time.monotonic()
        lines: list[str] = []
        proc = subprocess.Popen(argv, cwd=REPO, env=child_env(scratch, kept_stack), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                if show:
                    sys.stderr.write(line)
                if line.startswith("verdict:") and run.to_verdict is None:
                    run.to_verdict = round(time.monotonic() - began, 1)
                    run.verdict = line.strip()
                found = STACK_READY.search(line)
                if found and run.stack is None:
                    run.stack = float(found.group(1))
                if REUSED in line:
                    run.cold = False
            run.exit_code = proc.wait()
        except BaseException:
            # The run stops its stack on SIGINT as on SIGTERM; a Ctrl-C in the terminal has
            # reached the run already, and SIGINT again is harmless.
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            proc.wait()
            raise
        run.wall = round(time.monotonic() - began, 1)
        results = report_dir / "results.json"
        if results.exists():
            run.phases = phase_figures(json.loads(results.read_text()))
        if not run.counted:
            run.tail = lines[-25:]
    return run


def summary(runs: list[Run], pytest_args: list[str]) -> dict[str, Any]:
    counted = [r for r in runs if r.counted]
    return {
        "command": [*pytest_command(), "-p", "no:cacheprovider", *pytest_args],
        "cpus": os.cpu_count(),
        "bytecode_cache": not os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "runs": [{**asdict(r), "counted": r.counted} for r in runs],
        "counted": len(counted),
        "median_to_verdict": median([r.to_verdict for r in counted if r.to_verdict is not None]),
        "median_wall": median([r.wall for r in counted]),
        "median_stack": median([r.stack for r in counted if r.stack is not None]),
        "median_tests_total": median([r.phases["tests_total"] for r in counted if r.phases]),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_table(data: dict[str, Any]) -> None:
    print(f"\n{'run':>3}  {'exit':>4}  {'verdict s':>9}  {'wall s':>6}  {'stack s':>7}  "
          f"{'tests s':>7}  load before (1/5/15 min)")
    for r in data["runs"]:
        load = "/".join(f"{x:.2f}" for x in r["load"])
        wrong_stack = r["cold"] == r["kept_stack"]
        note = "" if r["counted"] else "  NOT COUNTED" + (
            "" if not wrong_stack else " (started its own stack)" if r["kept_stack"]
            else " (reused a kept stack)")
        print(f"{r['index']:>3}  {r['exit_code']:>4}  {_fmt(r['to_verdict']):>9}  "
              f"{_fmt(r['wall']):>6}  {_fmt(r['stack']):>7}  "
              f"{_fmt(r['phases'].get('tests_total')):>7}  {load}{note}")
    print(f"median of {data['counted']} counted run(s): {_fmt(data['median_to_verdict'])} s to "
          f"the verdict, {_fmt(data['median_wall'])} s to exit, stack "
          f"{_fmt(data['median_stack'])} s ({data['cpus']} CPUs, bytecode cache "
          f"{'on' if data['bytecode_cache'] else 'off: PYTHONDONTWRITEBYTECODE is set'})")
    last = next((r for r in reversed(data["runs"]) if r["phases"]), None)
    if last is not None:
        print(f"\nwhere the time went in run {last['index']} (seconds):")
        print(f"  {'suite file':<36} {'setups':>7} {'all phases':>10}")
        for name, figures in last["phases"]["files"].items():
            print(f"  {name:<36} {figures['setup']:>7.1f} {figures['total']:>10.1f}")
        print("  slowest setups: " + ", ".join(
            f"{s['nodeid'].split('::')[-1]} {s['setup']:.1f}"
            for s in last["phases"]["slowest_setups"]))
    for r in data["runs"]:
        if not r["counted"]:
            print(f"\nrun {r['index']} exited {r['exit_code']}; its output ends:")
            print("\n".join(f"  | {line}" for line in r["tail"]))


def main(argv: list[str] | None = None) -> int:
    args, pytest_args = parse(sys.argv[1:] if argv is None else argv)
    pytest_args = own_args(args.smoke, pytest_args)
    if args.smoke and not kept_stack_running():
        print("--smoke times runs against a kept stack and none is running: start one with "
              "`python -m mlflow_conformance stack up`", file=sys.stderr)
        return 4
    runs = []
    for index in range(1, args.repeat + 1):
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"run {index}/{args.repeat}: load average {load} ...", file=sys.stderr, flush=True)
        run = run_once(index, pytest_args, args.show_output, args.smoke)
        print(f"run {index}/{args.repeat}: exit {run.exit_code}, {_fmt(run.to_verdict)} s to "
              f"the verdict, {run.wall:.1f} s to exit", file=sys.stderr, flush=True)
        runs.append(run)
    data = summary(runs, pytest_args)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    return 0 if data["counted"] == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
