"""The NetworkPolicy truth table (Cyclonus's view): rows are the probe pods that observed,
columns the destination and port, each cell what the policies predict against what the pod
saw — green when they agree, red when not — with the deciding policy and the reason on hover
and in a details row. Built from a check's evidence["truth_table"]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .html_parts import badge, esc
from .results import RunResults


def tables(results: RunResults) -> list[tuple[str, Sequence[Mapping[str, Any]]]]:
    return [(t.requirements[0], t.evidence["truth_table"]) for t in results.tests
            if isinstance(t.evidence.get("truth_table"), list) and t.evidence["truth_table"]]


def _cell(cell: Mapping[str, Any]) -> str:
    verdict = "right" if cell["right"] else "wrong"
    why = f"{cell['reason']}" + (f" (decided by {cell['decided_by']})"
                                 if cell.get("decided_by") else "")
    return (f'<td class="cell-{verdict}" title="{esc(why)}">expected <b>{esc(cell["expected"])}'
            f'</b> · observed <b>{esc(cell["observed"])}</b>'
            + (f' <span class="muted">({esc(cell["tries"])} tries)</span>'
               if cell.get("tries", 1) > 1 else "") + "</td>")


def truth_table(rid: str, cells: Sequence[Mapping[str, Any]]) -> str:
    columns = list(dict.fromkeys(c["destination"] for c in cells))
    rows = list(dict.fromkeys(c["source"] for c in cells))
    by = {(c["source"], c["destination"]): c for c in cells}
    head = "".join(f"<th>{esc(col)}</th>" for col in columns)
    body = []
    for row in rows:
        first = next(c for c in cells if c["source"] == row)
        where = "platform namespace" if first["platform_namespace"] else "outsider"
        body.append(f'<tr><th scope="row">{esc(row)} <span class="muted">({where})</span>'
                    "</th>" + "".join(_cell(by[(row, col)]) if (row, col) in by
                                      else "<td>—</td>" for col in columns) + "</tr>")
        details = "; ".join(f"{col}: {by[(row, col)]['reason']}" for col in columns
                            if (row, col) in by)
        body.append(f'<tr class="truth-why"><td colspan="{len(columns) + 1}">'
                    f"{esc(details)}</td></tr>")
    wrong = sum(not c["right"] for c in cells)
    summary = badge("pass") if not wrong else badge("fail")
    return (f'<h3>{esc(rid)} {summary} <span class="muted">{len(cells)} cells, {wrong} where '
            f"observed differs from expected</span></h3>"
            f'<table class="truth" id="truth-{esc(rid)}"><thead><tr><th>source</th>{head}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table>")


def isolation_section(results: RunResults) -> str:
    found = tables(results)
    if not found:
        return ""
    return ('<section id="isolation"><h2>NetworkPolicy isolation</h2><p class="muted">Expected '
            "from the NetworkPolicies by the evaluator, observed from probe pods; hover a cell "
            "for the deciding rule.</p>"
            + "".join(truth_table(rid, cells) for rid, cells in found) + "</section>")
