"""The reference part of the report: requirement matrix by area, every check, the
environment and version matrix, timings and the diagnosis codes seen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ..findings import Outcome
from .html_parts import badge, code, esc, flatten, plural, short_test_name, table
from .results import RunResults
from .svg import Bar, hbar_chart

SLOWEST_SHOWN = 25


def matrix_section(results: RunResults) -> str:
    by_area: dict[str, list[Any]] = defaultdict(list)
    for req in results.requirements:
        by_area[req.area].append(req)
    parts = []
    for area in sorted(by_area):
        reqs = by_area[area]
        counts = ", ".join(f"{sum(r.outcome is o for r in reqs)} {o.value}" for o in Outcome
                           if any(r.outcome is o for r in reqs))
        rows = [(f"row-{r.outcome.value}", [
            f"<b>{esc(r.id)}</b>",
            f'{esc(r.title)}<div class="statement">{esc(r.statement)}</div>',
            badge(r.severity), esc(", ".join(r.promises)), badge(r.outcome.value),
            " ".join(code(c, results.diagnoses.get(c, "")) for c in r.codes) or "—",
            esc(len(r.tests)) if r.tests else '<span class="muted">none ran</span>'])
            for r in reqs]
        parts.append(f'<h3>{esc(area)} <span class="muted">({esc(counts)})</span></h3>'
                     + table(("ID", "requirement", "severity", "promises", "outcome", "codes",
                              "checks"), rows, "matrix"))
    return (f'<section id="matrix"><h2>Requirement matrix</h2><p class="muted">'
            f"{plural(len(results.requirements), 'requirement')} in "
            f"{plural(len(by_area), 'area')}. A requirement passes only when a check of it "
            "passed and none failed; all-skipped or not run is skip.</p>"
            f"{''.join(parts)}</section>")


def checks_section(results: RunResults) -> str:
    skipped = [t for t in results.tests if t.outcome is Outcome.SKIP]
    skip_table = table(("check", "requirements", "code", "reason"), [
        ("", [f'<span class="mono" title="{esc(t.nodeid)}">{esc(short_test_name(t.nodeid))}'
              "</span>", esc(", ".join(t.requirements)), code(t.code), esc(t.message)])
        for t in skipped])
    all_rows = [(f"row-{t.outcome.value}", [
        f'<span class="mono" title="{esc(t.nodeid)}">{esc(t.nodeid)}</span>',
        esc(", ".join(t.requirements)), badge(t.outcome.value), code(t.code),
        esc(t.message), f"{t.duration:.2f} s"]) for t in results.tests]
    skips = (f"<details><summary>{plural(len(skipped), 'skipped check')}, with the reason"
             f"</summary>{skip_table}</details>") if skipped else ""
    return (f'<section id="checks"><h2>Checks</h2>{skips}'
            f"<details><summary>All {plural(len(results.tests), 'check')}</summary>"
            f"{table(('check', 'requirements', 'outcome', 'code', 'message', 'time'), all_rows)}"
            "</details></section>")


def _places(environment: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(column label, environment key, entry) for each entry describing a Python environment
    (it carries a 'packages' mapping); a list of them (executors) gives one column each."""
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    for key, value in environment.items():
        entries = value if isinstance(value, list) else [value]
        for i, entry in enumerate(entries):
            if isinstance(entry, Mapping) and isinstance(entry.get("packages"), Mapping):
                found.append((key if len(entries) == 1 else f"{key} {i + 1}", key, entry))
    return found


def version_matrix(environment: Mapping[str, Any]) -> str:
    places = _places(environment)
    if not places:
        return ""
    scalars = sorted({k for _, _, p in places for k, v in p.items()
                      if k != "packages" and not isinstance(v, Mapping | list)},
                     key=lambda k: (k != "python", k))
    packages = sorted({name for _, _, p in places for name in p["packages"]})
    rows = []
    for label, lookup in [(k, lambda p, k=k: p.get(k)) for k in scalars] + \
            [(n, lambda p, n=n: p["packages"].get(n)) for n in packages]:
        values = [lookup(p) for _, _, p in places]
        first = next((v for v in values if v is not None), None)
        cells = [f'<td class="{"differs" if v is not None and v != first else ""}">'
                 f"{esc('—' if v is None else v)}</td>" for v in values]
        rows.append(f"<tr><th>{esc(label)}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{esc(label)}</th>" for label, _, _ in places)
    return (f"<h3>Version matrix</h3><table><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><p class=\"muted\">Highlighted: differs "
            "from the first column.</p>")


def environment_section(results: RunResults) -> str:
    in_matrix = {key for _, key, _ in _places(results.environment)}
    rest = {k: v for k, v in results.environment.items() if k not in in_matrix}
    target = table(("setting", "value"), [("", [esc(k), f'<span class="mono">{esc(v)}</span>'])
                                          for k, v in flatten(results.target)])
    other = "" if not rest else "<h3>Other environment facts</h3>" + table(
        ("fact", "value"), [("", [esc(k), esc(v)]) for k, v in flatten(rest)])
    return (f'<section id="environment"><h2>Environment</h2>{version_matrix(results.environment)}'
            f"{other}<h3>Target (secrets removed)</h3>{target}</section>")


def _dominant_phase(phases: Mapping[str, float]) -> str:
    """'mostly setup' when most of a check's time went outside its own call."""
    if not phases:
        return ""
    phase, seconds = max(phases.items(), key=lambda kv: kv[1])
    return f"mostly {phase}" if phase != "call" and seconds >= 0.01 else ""


def timings_section(results: RunResults) -> str:
    tests = sorted(results.tests, key=lambda t: -t.duration)
    bars = [Bar(short_test_name(t.nodeid), t.duration, t.outcome.value, _dominant_phase(t.phases),
                tooltip=t.nodeid) for t in tests[:SLOWEST_SHOWN]]
    per_area: dict[str, float] = defaultdict(float)
    areas = {r.id: r.area for r in results.requirements}
    for t in results.tests:
        per_area[areas.get(t.requirements[0], "?") if t.requirements else "?"] += t.duration
    area_bars = [Bar(a, s) for a, s in sorted(per_area.items(), key=lambda kv: -kv[1])]
    shown = (f"the slowest {SLOWEST_SHOWN} of {len(tests)}" if len(tests) > SLOWEST_SHOWN
             else f"all {len(tests)}")
    return (f'<section id="timings"><h2>Timings</h2><p class="muted">Seconds per check '
            f"({shown}; setup includes session start-up such as the embedded stack), "
            f"coloured by outcome.</p>{hbar_chart(bars, title='Seconds per check', unit='s')}"
            f"<h3>Per area</h3>{hbar_chart(area_bars, title='Seconds per area', unit='s')}"
            "</section>")


def glossary_section(results: RunResults) -> str:
    seen = sorted({t.code for t in results.tests})
    rows = [("", [code(c), esc(results.diagnoses.get(c, "(not in the catalog's vocabulary)"))])
            for c in seen]
    return (f'<section id="codes"><h2>Diagnosis codes in this run</h2>'
            f"{table(('code', 'meaning'), rows)}</section>")
