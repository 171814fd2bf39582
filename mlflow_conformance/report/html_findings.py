"""The top of the report: verdict banner, changes since the baseline, and what needs
attention (failures first, then checks that could not run, then warnings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..catalog import SEVERITIES
from ..findings import Outcome
from . import baseline as baseline_diff
from .html_parts import badge, code, esc, evidence, plural, short_test_name, table
from .results import RequirementResult, RunResults, TestResult

ATTENTION = (Outcome.FAIL, Outcome.ERROR, Outcome.WARN)
SEVERITY_ORDER = {severity: i for i, severity in enumerate(SEVERITIES)}
OUTCOME_ORDER = tuple(o.value for o in sorted(Outcome, key=lambda o: o.rank, reverse=True))


def _elapsed(started: str, finished: str) -> str:
    try:
        seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started))
    except ValueError:
        return ""
    return f"{seconds.total_seconds():.0f} s"


def banner(results: RunResults) -> str:
    verdict = results.verdict
    summary = results.summary()
    target = results.target
    took = _elapsed(results.started, results.finished)
    meta = [f"target {target.get('kind', '?')} {target.get('tracking_uri') or ''}".strip(),
            f"run {results.run_id}", f"{results.started} ({took})",
            f"harness {results.harness_version}", f"--profile {results.profile}",
            f"--fail-on {results.gate['fail_on'] if results.gate else results.fail_on}"]
    tiles = "".join(f'<div class="tile"><b>{summary["requirements"][o]}</b>'
                    f"<small>{esc(o)}</small></div>" for o in OUTCOME_ORDER)
    tests = summary["tests"]
    checks = "".join(f'<div class="tile"><b>{tests[o]}</b><small>{esc(o)}</small></div>'
                     for o in OUTCOME_ORDER if tests[o])
    severity_line = "; ".join(
        f"{severity}: " + ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        for severity, counts in sorted(summary["by_severity"].items(),
                                       key=lambda kv: SEVERITY_ORDER.get(kv[0], 3)))
    gate = ""
    if results.gate:
        gate = (f'<div class="gate">exit code {esc(results.gate["exit_code"])}: '
                f'{esc(results.gate["meaning"])}</div>')
    return (f'<header class="banner {esc(verdict.replace(" ", "_"))}"><div class="banner-inner">'
            f"<h1>MLflow-on-Ilum conformance report</h1>"
            f'<div class="verdict" id="verdict">{esc(verdict)}</div>'
            f'<div class="meta">{"".join(f"<span>{esc(m)}</span>" for m in meta)}</div>'
            f'<div class="tiles"><div class="group"><small>requirements</small><div>{tiles}</div>'
            f'</div><div class="group"><small>checks run</small><div>{checks}</div></div></div>'
            f'<div class="severity-line">by severity: {esc(severity_line)}</div>'
            f"{gate}</div></header>")


def baseline_section(results: RunResults) -> str:
    diff = results.baseline
    if not diff:
        return ""
    chips = "".join(f'<span class="chip">{badge(baseline_diff.LABELS[name], name)} {n}</span>'
                    for name, n in diff["counts"].items() if n)
    changed = [c for c in diff["changes"] if c["class"] != "unchanged"]

    def rows(entries: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
        return [("", [badge(baseline_diff.LABELS[str(c["class"])], str(c["class"])),
                      f"<b>{esc(c['id'])}</b>", esc(c["title"]),
                      f"{esc(c['before'] or '—')} → {esc(c['after'] or '—')}",
                      " ".join(code(k) for k in c["codes_after"] or c["codes_before"])])
                for c in entries]

    headers = ("change", "ID", "requirement", "outcome", "codes")
    body = table(headers, rows(changed)) if changed else \
        '<div class="ok-box">No requirement changed its state.</div>'
    unchanged = [c for c in diff["changes"] if c["class"] == "unchanged"]
    if unchanged:
        body += (f"<details><summary>{plural(len(unchanged), 'unchanged requirement')}"
                 f"</summary>{table(headers, rows(unchanged))}</details>")
    return (f'<section id="baseline"><h2>Changes since the baseline</h2>'
            f'<p class="muted">Baseline run {esc(diff["run_id"])} of {esc(diff["started"])} '
            f'({esc(diff["verdict"])}), from {esc(diff["source"])}.</p>'
            f'<div class="chips">{chips}</div>{body}</section>')


def attention_section(results: RunResults) -> str:
    reqs = {r.id: r for r in results.requirements}

    def order(test: TestResult) -> tuple[int, int, str, str]:
        severity = min((SEVERITY_ORDER.get(reqs[r].severity, 3) for r in test.requirements
                        if r in reqs), default=3)
        return ATTENTION.index(test.outcome), severity, ",".join(test.requirements), test.nodeid

    flagged = sorted((t for t in results.tests if t.outcome in ATTENTION), key=order)
    if not flagged:
        return ('<section id="attention"><h2>Needs attention</h2><div class="ok-box">'
                "No check failed, errored or warned.</div></section>")
    cards = []
    for test in flagged:
        mine: list[RequirementResult] = [reqs[r] for r in test.requirements if r in reqs]
        titles = "; ".join(f"{r.id} {r.title}" for r in mine) or ", ".join(test.requirements)
        severities = " ".join(badge(s) for s in sorted({r.severity for r in mine}))
        remedy = test.remedy or "; ".join(r.remediation for r in mine)
        meaning = results.diagnoses.get(test.code, "")
        label = "could not check" if test.outcome is Outcome.ERROR else test.outcome.value
        cards.append(
            f'<article class="card {esc(test.outcome.value)}">'
            f"<h3>{badge(label, test.outcome.value)} {esc(titles)} {severities}</h3>"
            f"<dl><dt>diagnosis</dt><dd>{code(test.code, meaning)} {esc(meaning)}</dd>"
            f"<dt>observed</dt><dd>{esc(test.message)}</dd>"
            f"<dt>remedy</dt><dd>{esc(remedy) or '—'}</dd>"
            f'<dt>check</dt><dd class="mono" title="{esc(test.nodeid)}">'
            f"{esc(short_test_name(test.nodeid))}</dd>"
            f"<dt>evidence</dt><dd>{evidence(test.evidence)}</dd></dl></article>")
    kinds = ((Outcome.FAIL, "failure", ""), (Outcome.ERROR, "check that could not run",
                                              "checks that could not run"),
             (Outcome.WARN, "warning", ""))
    counts = ", ".join(plural(n, word, words) for o, word, words in kinds
                       if (n := sum(t.outcome is o for t in flagged)))
    return (f'<section id="attention"><h2>Needs attention</h2><p class="muted">{esc(counts)}, '
            f"failures of must requirements first.</p>{''.join(cards)}</section>")
