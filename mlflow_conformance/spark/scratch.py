"""A scratch folder for MLflow's downloads: mlflow.spark.load_model and mlflow.pyfunc.load_model
download models into tempfile.mkdtemp() folders they never remove, and the requirement
inference's subprocess leaves its own when it is killed at its timeout. Inside ``scratch()``
those land in a folder of ours (tempfile's and subprocesses' TMPDIR), removed on the way out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch() -> Iterator[str]:
    from mlflow.utils.file_utils import get_or_create_tmp_dir

    # spark_udf keeps its downloads in MLflow's per-process folder (removed at exit); create
    # it before tempfile points into the scratch, or it would be recreated there later.
    get_or_create_tmp_dir()
    saved, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    folder = tempfile.mkdtemp(prefix="mlflow-conformance-scratch-")
    tempfile.tempdir = os.environ["TMPDIR"] = folder
    try:
        yield folder
    finally:
        tempfile.tempdir = saved
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(folder, ignore_errors=True)
