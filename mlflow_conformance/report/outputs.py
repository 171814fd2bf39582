"""Write the run's outputs into the report directory, through the one redaction point.

results.json is written first, from the redacted model; report.html and junit.xml are then
rendered from that same redacted data, so no output can carry what results.json does not.
Each file is written to a temporary name and renamed: a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..redact import Redactor
from .html import render_html
from .junit import write_junit
from .results import RunResults

REPORTS_ROOT = Path("reports")
RESULTS, HTML, JUNIT = "results.json", "report.html", "junit.xml"


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


def _atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
    return path


def write_html(results: RunResults, path: Path) -> Path:
    return _atomic(path, lambda tmp: tmp.write_text(render_html(results), encoding="utf-8"))


def write_reports(results: RunResults, report_dir: Path, redactor: Redactor) -> dict[str, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    data = redactor.scrub(results.to_dict())
    redacted = RunResults.from_dict(data)
    return {
        RESULTS: _atomic(report_dir / RESULTS, lambda tmp: tmp.write_text(
            json.dumps(data, indent=1, sort_keys=False), encoding="utf-8")),
        HTML: write_html(redacted, report_dir / HTML),
        JUNIT: _atomic(report_dir / JUNIT, lambda tmp: write_junit(redacted, tmp)),
    }
