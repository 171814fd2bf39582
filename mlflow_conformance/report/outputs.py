"""Write the run's outputs into the report directory, through the one redaction point."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..redact import Redactor
from .results import RunResults

REPORTS_ROOT = Path("reports")


def default_report_dir(root: Path = REPORTS_ROOT) -> Path:
    return root / time.strftime("%Y%m%d-%H%M%S")


def point_latest(report_dir: Path) -> None:
    """reports/latest → the newest report directory (a relative symlink)."""
    latest = report_dir.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(report_dir.name)
    except OSError:
        pass  # a file system without symlinks still has the dated folder


def write_reports(results: RunResults, report_dir: Path, redactor: Redactor) -> dict[str, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    data = redactor.scrub(results.to_dict())
    written = {"results.json": report_dir / "results.json"}
    tmp = written["results.json"].with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False))
    os.replace(tmp, written["results.json"])
    return written
