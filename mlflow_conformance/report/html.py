"""report.html: one self-contained page rendered once from the results model.

No network fetch (a Content-Security-Policy forbids it, so a mistake shows up as a console
error in the browser self-test), no framework, readable without its one small script. The
same function serves the end of a run and ``python -m mlflow_conformance render``.
"""

from __future__ import annotations

import base64
import hashlib

from .. import __version__
from .html_findings import attention_section, banner, baseline_section
from .html_isolation import isolation_section, tables
from .html_parts import esc
from .html_tables import (
    checks_section,
    environment_section,
    glossary_section,
    matrix_section,
    timings_section,
)
from .results import RunResults
from .style import CSS, PRINT_SCRIPT

TOC = (("baseline", "Baseline"), ("attention", "Needs attention"), ("matrix", "Requirements"),
       ("isolation", "Isolation"), ("checks", "Checks"), ("environment", "Environment"),
       ("timings", "Timings"),
       ("codes", "Diagnosis codes"))


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src 'sha256-{digest}'")


def render_html(results: RunResults) -> str:
    sections = [baseline_section(results), attention_section(results), matrix_section(results),
                isolation_section(results), checks_section(results),
                environment_section(results), timings_section(results),
                glossary_section(results)]
    shown = {"baseline": bool(results.baseline), "isolation": bool(tables(results))}
    toc = "".join(f'<a href="#{anchor}">{esc(label)}</a>' for anchor, label in TOC
                  if shown.get(anchor, True))
    title = f"{results.verdict} · MLflow conformance · {results.run_id}"
    bundle = ""
    if results.bundle:
        name = esc(results.bundle)
        bundle = (f'<p class="bundle">Diagnostics bundle: <a id="bundle" href="{name}">{name}</a>'
                  " (these reports, the logs and the environment, redacted; re-analyse it "
                  "with <code>python -m mlflow_conformance analyze "
                  f"{name}</code>)</p>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp())}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'{banner(results)}<main><nav class="toc">{toc}</nav>{bundle}{"".join(sections)}'
        f"<footer>Rendered by mlflow-conformance {esc(__version__)} from the "
        f"results model (results.json schema {esc(results.schema_version)}). Re-render with "
        "<code>python -m mlflow_conformance render results.json</code>.</footer></main>"
        f"<script>{PRINT_SCRIPT}</script></body></html>\n")
