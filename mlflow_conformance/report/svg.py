"""Inline SVG charts for the HTML report: one generic horizontal bar chart.

Timings use it now; throughput (rows/s per model) and latency (seconds per call) charts are
the same picture with another unit. The SVG carries its colours as attributes, so it prints
and renders the same inside and outside the report's stylesheet. Every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

TONES = {"pass": "#2f8f4e", "fail": "#c62f3d", "error": "#8e44ad", "warn": "#c77c02",
         "skip": "#8a94a6", "neutral": "#3a6ea5"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tone: str = "neutral"  # a key of TONES (outcomes, or neutral)
    note: str = ""  # shown after the value, e.g. "setup 18.4 s"
    tooltip: str = ""  # full text on hover (defaults to the label)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 4 or 8 x 10^k that is >= value: an axis end whose quarters are
    round numbers too."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 4, 8, 10) if step * power >= value * (1 - 1e-9))


def _tick(value: float) -> str:
    return f"{value:.6g}"


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else "…" + text[-(chars - 1):]


def hbar_chart(bars: Sequence[Bar], *, title: str, unit: str,
               fmt: Callable[[float], str] = lambda v: f"{v:.2f}", width: int = 860,
               label_width: int = 330, row_height: int = 22) -> str:
    """A horizontal bar chart of ``bars`` (in the given order) with a labelled axis."""
    top, value_room, char_px = 10, 190, 6.6
    plot = width - label_width - value_room
    end = nice_ceiling(max((b.value for b in bars), default=0.0))
    height = top + row_height * len(bars) + 26
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'font-family="system-ui, sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>"]
    for i in range(5):  # grid lines and axis labels at 0, 1/4 .. 4/4 of the axis
        x = label_width + plot * i / 4
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" '
                   f'y2="{height - 22}" stroke="#e3e7ee" stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" '
                   f'fill="#5b6475">{escape(_tick(end * i / 4))} {escape(unit)}</text>')
    for row, bar in enumerate(bars):
        y = top + row * row_height
        length = max(plot * bar.value / end, 1.0 if bar.value > 0 else 0.0)
        fill = TONES.get(bar.tone, TONES["neutral"])
        label = _clip(bar.label, int((label_width - 12) / char_px))
        value = f"{fmt(bar.value)} {unit}" + (f" · {bar.note}" if bar.note else "")
        out.append(f"<g><title>{escape(bar.tooltip or bar.label)}: {escape(value)}</title>"
                   f'<text x="{label_width - 8}" y="{y + row_height * 0.62:.1f}" '
                   f'text-anchor="end" fill="#1f2633">{escape(label)}</text>'
                   f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" '
                   f'height="{row_height - 8}" rx="2" fill="{fill}"/>'
                   f'<text x="{label_width + length + 6:.1f}" y="{y + row_height * 0.62:.1f}" '
                   f'fill="#1f2633">{escape(value)}</text></g>')
    out.append("</svg>")
    return "".join(out)
