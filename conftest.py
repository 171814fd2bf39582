"""The repository's conftest: only what the harness's self-tests (tests/) need.

The harness's plugin is not loaded here: it ships inside the package and registers through
its `pytest11` entry point (mlflow_conformance.fixtures.plugin), so a run from this checkout,
from an empty folder (`mlflow-conformance run`) and from an xdist worker load it alike.
"""

# The self-tests run inner pytest sessions (pytester).
pytest_plugins = ["pytester"]
