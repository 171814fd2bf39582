"""report.html: self-contained, escaped, failures first, baseline at the top, fast and small
at 1,000 results; and the generic SVG bar chart it draws timings with."""

from __future__ import annotations

import html
import re
import time

import pytest

from mlflow_conformance.findings import Finding, Outcome
from mlflow_conformance.report import baseline
from mlflow_conformance.report.html import render_html
from mlflow_conformance.report.svg import Bar, hbar_chart, nice_ceiling
from tests.test_results_model import synthetic_results

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_thousand_results_render_fast_and_small():
    results = synthetic_results(1000)
    results.baseline = baseline.compare(synthetic_results(1000).to_dict(), results.to_dict())
    started = time.perf_counter()
    page = render_html(results)
    seconds = time.perf_counter() - started
    size = len(page.encode())
    assert seconds < 2.0, f"rendering 1,000 results took {seconds:.2f} s"
    assert size < 2_000_000, f"report.html of 1,000 results is {size} bytes"
    assert page.count('<tr class="row-') >= 2000  # every requirement and every check is there


def test_everything_from_the_results_is_escaped():
    results = synthetic_results(20)
    first = results.tests[0]
    first.finding = Finding(Outcome.FAIL, first.code, HOSTILE, {HOSTILE: HOSTILE}, HOSTILE)
    results.requirements[0].title = HOSTILE
    results.requirements[0].outcome = Outcome.FAIL
    results.target["tracking_uri"] = HOSTILE
    results.environment["harness_host"]["packages"][HOSTILE] = HOSTILE
    results.run_id = HOSTILE
    page = render_html(results)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the page's own print helper, nothing else


def test_the_page_fetches_nothing():
    page = render_html(synthetic_results(20))
    external = re.findall(r'(?:src|href|action)\s*=\s*"(?!#)[^"]*"', page)
    assert external == []
    # The browser refuses any fetch the page might attempt anyway.
    assert "content=\"default-src 'none';" in html.unescape(page)


def test_failures_come_first_must_before_should():
    results = synthetic_results(60)
    page = render_html(results)
    attention, matrix = page.index('id="attention"'), page.index('id="matrix"')
    assert attention < matrix
    kinds = re.findall(r'<article class="card (\w+)">', page[attention:matrix])
    assert kinds == sorted(kinds, key=["fail", "error", "warn"].index)
    assert len(kinds) == 9  # 3 each of 60 checks
    fails = [t for t in results.tests if t.outcome is Outcome.FAIL]
    must_first = sorted(fails, key=lambda t: {"must": 0, "should": 1}[
        next(r.severity for r in results.requirements if r.id == t.requirements[0])])
    positions = [page.index(f"{t.requirements[0]} Synthetic") for t in must_first]
    assert positions == sorted(positions)


def test_baseline_changes_are_at_the_top():
    old = synthetic_results(20)
    new = synthetic_results(20)
    new.requirements[4].outcome = Outcome.FAIL  # was pass
    new.baseline = baseline.compare(old.to_dict(), new.to_dict(), source="old/results.json")
    page = render_html(new)
    top = page.index('id="baseline"')
    assert top < page.index('id="attention"')
    section = page[top:page.index('id="attention"')]
    assert "new failure" in section
    assert new.requirements[4].id in section
    assert "old/results.json" in section
    assert 'id="baseline"' not in render_html(synthetic_results(20))


def test_version_matrix_highlights_what_differs_between_places():
    results = synthetic_results(5)
    results.environment["executors"] = [
        {"python": "3.11.7", "packages": {"mlflow": "3.17.2"}},
        {"python": "3.10.2", "packages": {"mlflow": "2.22.5"}}]
    page = render_html(results)
    matrix = page[page.index("Version matrix"):page.index("Target (secrets removed)")]
    assert "executors 1" in matrix
    assert "executors 2" in matrix
    assert matrix.count('class="differs"') == 2  # python and mlflow of executor 2


@pytest.mark.parametrize(("value", "end"), [(0, 1), (0.3, 0.4), (0.5, 0.8), (3, 4), (9, 10),
                                            (17, 20), (100, 100)])
def test_axis_ends_are_round(value, end):
    assert nice_ceiling(value) == pytest.approx(end)


def test_bar_chart_scales_labels_and_escapes():
    svg = hbar_chart([Bar("fast <one>", 1.0, "pass"), Bar("x" * 200, 4.0, "fail", "mostly setup")],
                     title="Rows & seconds", unit="rows/s", fmt=lambda v: f"{v:.0f}")
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[1] == pytest.approx(4 * widths[0])
    assert "fast &lt;one&gt;" in svg
    assert "Rows &amp; seconds" in svg
    assert "4 rows/s · mostly setup" in svg
    assert "…" in svg  # the long label is clipped; its full text stays in the tooltip


def test_the_banner_names_the_profile_and_the_gate_level():
    """A release gate's reader sees under which profile the exit code was decided (the
    thresholds gate only under release)."""
    results = synthetic_results(3)
    results.profile = "release"
    page = render_html(results)
    banner = page[page.index('<header class="banner'):page.index("</header>")]
    assert "<span>--profile release</span>" in banner
    assert "<span>--fail-on " in banner
