"""Scratch space: point tempfile's and subprocesses' TMPDIR at a folder of ours.

MLflow's model loaders (pyfunc.load_model, spark.load_model, spark_udf's download) put each
model into a tempfile.mkdtemp() folder they never remove, Spark model logging leaves
MLFLOW_DFS_TMP (/tmp/mlflow by default) behind, and a requirement-inference subprocess killed
at its timeout leaves its own. The plugin opens one Scratch for the whole session; code that
makes many such folders can also nest ``scratch()`` around one piece of work.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DFS_TMP = "MLFLOW_DFS_TMP"


class Scratch:
    def __init__(self, parent: str | Path | None = None, prefix: str = "scratch-") -> None:
        self.parent = str(parent) if parent else None
        self.prefix = prefix
        self.folder = ""
        self._saved: tuple[str | None, str | None, str | None] = (None, None, None)

    def open(self) -> str:
        self.folder = tempfile.mkdtemp(prefix=self.prefix, dir=self.parent)
        # Traversable by others: the embedded stack's PostgreSQL runs as another user.
        os.chmod(self.folder, 0o711)  # noqa: S103 - traverse only, no listing
        self._saved = (tempfile.tempdir, os.environ.get("TMPDIR"), os.environ.get(DFS_TMP))
        tempfile.tempdir = os.environ["TMPDIR"] = self.folder
        if self._saved[2] is None:  # a deployment's own setting stays untouched
            os.environ[DFS_TMP] = os.path.join(self.folder, "mlflow-dfs")
        return self.folder

    def close(self, remove: bool = True) -> None:
        tempdir, tmp_env, dfs_env = self._saved
        tempfile.tempdir = tempdir
        for key, value in (("TMPDIR", tmp_env), (DFS_TMP, dfs_env)):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def scratch() -> Iterator[str]:
    from mlflow.utils.file_utils import get_or_create_tmp_dir

    # spark_udf keeps its downloads in MLflow's per-process folder (removed at exit); create
    # it before tempfile points into this scratch, or it would be recreated here and lost.
    get_or_create_tmp_dir()
    space = Scratch(prefix="mlflow-conformance-scratch-")
    try:
        yield space.open()
    finally:
        space.close()


def write_private(path: Path, content: str | bytes) -> None:
    """A file only its owner can read from its first byte (written, then chmod, would show
    it to anyone in between) and whole or not at all: a temporary file (mkstemp: 0600) in the
    same folder, renamed over ``path``."""
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
