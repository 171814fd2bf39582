"""A cluster to try `pytest --cluster` on, without one: the embedded stack behind the
platform's objects on the API server and node doubles the self-tests use (tests/kube/).

    .venv/bin/python scripts/cluster_double.py                 # keep it up; prints KUBECONFIG
    .venv/bin/python scripts/cluster_double.py --repeat 3 [-- pytest args]   # time runs

With --repeat, each run is `pytest --cluster ...` (the platform's names, the suites that run
under --cluster unless pytest args are given) in a subprocess; printed: per run the wall time
to the "verdict:" line and to exit, and the median of each. Runs on the doubles end NOT
CONFORMANT by design (the node double enforces no NetworkPolicy and shares the host's
network: ISO-001 and PLT-005 fail), so every exit code is reported, not only 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlflow_conformance import progress  # noqa: E402 - after the path is set
from mlflow_conformance.stack import lifecycle  # noqa: E402
from tests.cluster_double import running_cluster  # noqa: E402
from tests.kube.platform import Platform  # noqa: E402

SUITES = ["suites/test_connectivity.py", "suites/test_storage.py", "suites/test_platform.py",
          "suites/test_compatibility.py", "suites/test_isolation.py"]


def timed_run(kubeconfig: Path, args: list[str], report: Path) -> tuple[float, float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_CONFORMANCE_")}
    env["KUBECONFIG"] = str(kubeconfig)
    began = time.monotonic()
    to_verdict = None
    with subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           *args, f"--report-dir={report}"], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as run:
        assert run.stdout is not None
        for line in run.stdout:
            if line.startswith("verdict:") and to_verdict is None:
                to_verdict = time.monotonic() - began
    return (to_verdict or float("nan")), time.monotonic() - began, run.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=0, help="time this many runs, then stop")
    parser.add_argument("pytest_args", nargs="*", help="after --: what to run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mlflow-conformance-cluster-double-"))
    with progress.installed(progress.LineSink(sys.stderr)):
        state = lifecycle.start("proxied")
    try:
        with running_cluster(folder) as cluster:
            platform = Platform(state)
            cluster.install(platform)
            if not args.repeat:
                print(f"cluster double up: export KUBECONFIG={cluster.kubeconfig}; then "
                      "pytest --cluster. Ctrl-C stops it.", flush=True)
                while True:
                    time.sleep(3600)
            chosen = [*platform.harness_args(), *(args.pytest_args or SUITES)]
            figures = [timed_run(cluster.kubeconfig, chosen, folder / f"report-{i}")
                       for i in range(args.repeat)]
            for i, (verdict, wall, code) in enumerate(figures, 1):
                print(f"run {i}: {verdict:.1f} s to the verdict, {wall:.1f} s to exit "
                      f"(exit {code})")
            print(f"median: {statistics.median(f[0] for f in figures):.1f} s to the verdict, "
                  f"{statistics.median(f[1] for f in figures):.1f} s to exit")
    except KeyboardInterrupt:
        pass
    finally:
        lifecycle.stop(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
