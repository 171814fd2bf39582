"""Small HTML building blocks. Everything that reaches the page goes through ``esc``;
helpers take plain text and escape it themselves, or take HTML that a helper built."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

EVIDENCE_CHARS = 3000  # per finding; the full evidence stays in results.json


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def badge(text: str, kind: str | None = None) -> str:
    return f'<span class="badge {esc(kind or text)}">{esc(text.replace("_", " "))}</span>'


def code(text: str, meaning: str = "") -> str:
    title = f' title="{esc(meaning)}"' if meaning else ""
    return f'<span class="code"{title}>{esc(text)}</span>'


def table(headers: Sequence[str], rows: Iterable[tuple[str, Sequence[str]]],
          css: str = "") -> str:
    """A table of already-built cell HTML; each row is (row CSS class, cells)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(f'<tr class="{esc(cls)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                   for cls, cells in rows)
    return f'<table class="{esc(css)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def evidence(data: Mapping[str, Any]) -> str:
    text = json.dumps(data, indent=1, sort_keys=True, default=str)
    if len(text) > EVIDENCE_CHARS:
        text = text[:EVIDENCE_CHARS] + f"\n… ({len(text) - EVIDENCE_CHARS} more characters in " \
            "results.json)"
    return f'<pre class="evidence">{esc(text)}</pre>'


def flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested mappings as (dotted key, text) pairs; lists and scalars as compact text."""
    if isinstance(data, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in data.items():
            pairs += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(data, list | tuple):
        text = ", ".join(v if isinstance(v, str) else json.dumps(v, default=str) for v in data)
        return [(prefix, text or "—")]
    return [(prefix, "—" if data is None else str(data))]


def short_test_name(nodeid: str) -> str:
    """suites/test_x.py::test_y[p] → test_y[p] (the node id stays in the tooltip)."""
    return nodeid.rsplit("::", 1)[-1]


def plural(count: int, word: str, words: str = "") -> str:
    """'1 check', '2 checks'; ``words`` where the plural is not word + s."""
    return f"{count} {word if count == 1 else words or word + 's'}"
