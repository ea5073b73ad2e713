"""Renderers of :class:`PaperTable`: Markdown, LaTeX (booktabs), CSV and standalone HTML.

Marks: best in bold, second underlined (Markdown ``**x**`` / ``<u>x</u>``, LaTeX ``\\textbf`` /
``\\underline``, HTML ``<strong>`` / ``<u>``). Row groups print as a label row (when the label is not
already in the rows' header cells) and, in LaTeX, a ``\\midrule`` between blocks.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

from harness.errors import ConfigError
from harness.reports.model import Cell, PaperTable, Row

FORMATS = ("md", "latex", "csv", "html")


def _header_cells(table: PaperTable) -> list[tuple[str, ...]]:
    depth = table.header_depth
    return [("",) * (depth - len(c.header)) + tuple(c.header) for c in table.columns]


def _flat_header(header: tuple[str, ...]) -> str:
    levels = [h for h in header if h]
    return " ".join(dict.fromkeys(levels))


# ---------------------------------------------------------------- Markdown


def _md_escape(text: str) -> str:
    from harness.escaping import md_escape

    return md_escape(text)


def _md_cell(cell: Cell) -> str:
    out = []
    for p in cell.parts:
        text = _md_escape(p.text)
        if p.mark == "best":
            text = f"**{text}**"
        elif p.mark == "second":
            text = f"<u>{text}</u>"
        out.append(text)
    return "/".join(out)


def render_markdown(table: PaperTable) -> str:
    """A GitHub-flavoured Markdown table with a bold title line and footnotes below."""
    header = [*table.row_header, *(_flat_header(h) for h in _header_cells(table))]
    lines: list[list[str]] = []
    for group in table.groups:
        if group.label and group.show_label:
            lines.append([f"*{_md_escape(group.label)}*"] + [""] * (len(header) - 1))
        for row in group.rows:
            label = [_md_escape(x) for x in row.label]
            if row.kind != "reported":
                label[0] = f"*{label[0]}*"
            lines.append(label + [_md_cell(c) for c in row.cells])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    n_head = len(table.row_header)

    def fmt(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i < n_head else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * w if i < n_head else "-" * (w - 1) + ":" for i, w in enumerate(widths)]
    body = [fmt([_md_escape(h) for h in header]), "|" + "|".join(f" {r} " for r in rule) + "|"]
    body += [fmt(cells) for cells in lines]
    title = f"**{_md_escape(table.title)}**: {_md_escape(table.caption)}".rstrip()
    notes = [f"- {_md_escape(n)}" for n in table.footnotes]
    return "\n".join([title, "", *body, "", *notes]) + "\n"


# ---------------------------------------------------------------- LaTeX

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "$": r"\$",
}
_LATEX_UNICODE = {
    "—": "--",
    "–": "--",
    "−": "$-$",
    "†": r"$^\dagger$",
    "Δ": r"$\Delta$",
    "✓": r"\checkmark{}",
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
}
_MATH = re.compile(r"(\$[^$]+\$)")


def latex_escape(text: str) -> str:
    """Escape LaTeX specials; a ``$...$`` span (a printed math label) is kept as it is."""
    out = []
    for i, chunk in enumerate(_MATH.split(text)):
        if i % 2:
            out.append(chunk)
            continue
        escaped = "".join(_LATEX_SPECIAL.get(c, c) for c in chunk)
        out.append("".join(_LATEX_UNICODE.get(c, c) for c in escaped))
    return "".join(out)


def _latex_cell(cell: Cell) -> str:
    out = []
    for p in cell.parts:
        text = latex_escape(p.text)
        if p.mark == "best":
            text = rf"\textbf{{{text}}}"
        elif p.mark == "second":
            text = rf"\underline{{{text}}}"
        out.append(text)
    return "/".join(out)


def _spans(labels: list[str], keys: list[tuple[str, ...]]) -> list[tuple[str, int, int]]:
    """Runs of adjacent columns sharing ``keys`` -> (label, first, last), 0-based."""
    runs: list[tuple[str, int, int]] = []
    for j, (label, key) in enumerate(zip(labels, keys, strict=True)):
        if runs and keys[runs[-1][1]] == key:
            runs[-1] = (runs[-1][0], runs[-1][1], j)
        else:
            runs.append((label, j, j))
    return runs


def render_latex(table: PaperTable) -> str:
    """A ``table`` environment with a booktabs ``tabular``: multi-level headers with ``\\cmidrule``s."""
    headers = _header_cells(table)
    depth = table.header_depth
    n_head = len(table.row_header)
    width = n_head + len(table.columns)
    spec = "l" * n_head + "r" * len(table.columns)
    out = [
        r"% Requires \usepackage{booktabs} (and amssymb for \checkmark).",
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{latex_escape(table.title)}: {latex_escape(table.caption)}}}",
        rf"\label{{tab:{table.name}}}",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
    ]
    for level in range(depth - 1):
        labels = [h[level] for h in headers]
        runs = _spans(labels, [h[: level + 1] for h in headers])
        cells = [""] * n_head
        rules = []
        for label, first, last in runs:
            n = last - first + 1
            text = latex_escape(label)
            cells.append(rf"\multicolumn{{{n}}}{{c}}{{{text}}}" if n > 1 else text)
            if label:
                rules.append(rf"\cmidrule(lr){{{n_head + first + 1}-{n_head + last + 1}}}")
        out.append(" & ".join(cells) + r" \\")
        if rules:
            out.append(" ".join(rules))
    last = [latex_escape(x) for x in table.row_header] + [latex_escape(h[-1]) for h in headers]
    out.append(" & ".join(last) + r" \\")
    out.append(r"\midrule")
    for g, group in enumerate(table.groups):
        if g:
            out.append(r"\midrule")
        if group.label and group.show_label:
            out.append(rf"\multicolumn{{{width}}}{{l}}{{\textit{{{latex_escape(group.label)}}}}} \\")
        for row in group.rows:
            label = [latex_escape(x) for x in row.label]
            if row.kind != "reported":
                label[0] = rf"\textit{{{label[0]}}}"
            out.append(" & ".join(label + [_latex_cell(c) for c in row.cells]) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    if table.footnotes:
        out.append(r"\par\smallskip\footnotesize")
        out += [latex_escape(n) + r"\\" for n in table.footnotes]
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- CSV


def render_csv(table: PaperTable) -> str:
    """One line per printed row: group, kind, row-header cells, values as printed, measured sources."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    headers = [" / ".join(x for x in h if x) for h in _header_cells(table)]
    writer.writerow(["group", "kind", *table.row_header, *headers, "mark", "sources"])
    for group in table.groups:
        for row in group.rows:
            marks = ";".join(
                f"{headers[j]}#{k}={p.mark}"
                for j, c in enumerate(row.cells)
                for k, p in enumerate(c.parts)
                if p.mark
            )
            writer.writerow(
                [
                    group.label or "",
                    row.kind,
                    *row.label,
                    *(c.text for c in row.cells),
                    marks,
                    " ".join(row.sources),
                ]
            )
    return buf.getvalue()


# ---------------------------------------------------------------- HTML

HTML_STYLE = """
table.paper{border-collapse:collapse;font:14px/1.35 system-ui,sans-serif;margin:1em 0}
table.paper caption{caption-side:top;text-align:left;padding:.3em 0;font-weight:600}
table.paper th,table.paper td{padding:.2em .6em;text-align:right;white-space:nowrap}
table.paper th.rh,table.paper td.rh{text-align:left}
table.paper thead tr:first-child th{border-top:2px solid #222}
table.paper thead tr:last-child th{border-bottom:1px solid #222}
table.paper tbody{border-bottom:1px solid #999}
table.paper tbody:last-of-type{border-bottom:2px solid #222}
table.paper tr.group td{text-align:left;font-style:italic;color:#444}
table.paper tr.measured td{background:#eef6ff}
table.paper tr.delta td{color:#555;font-size:90%}
table.paper .best{font-weight:700}
table.paper .second{text-decoration:underline}
.notes{font:12px/1.4 system-ui,sans-serif;color:#444}
"""


def _html_cell(cell: Cell) -> str:
    out = []
    for p in cell.parts:
        text = html.escape(p.text)
        if p.mark:
            text = f'<span class="{p.mark}">{text}</span>'
        out.append(text)
    return "/".join(out)


def _html_row(row: Row) -> str:
    cells = [f'<td class="rh">{html.escape(x)}</td>' for x in row.label]
    cells += [f"<td>{_html_cell(c)}</td>" for c in row.cells]
    return f'<tr class="{row.kind}">{"".join(cells)}</tr>'


def render_html_table(table: PaperTable) -> str:
    """The ``<table class="paper">`` element alone (the leaderboard embeds it)."""
    headers = _header_cells(table)
    depth = table.header_depth
    n_head = len(table.row_header)
    rows = []
    for level in range(depth):
        cells = []
        if level == 0:
            cells += [f'<th class="rh" rowspan="{depth}">{html.escape(x)}</th>' for x in table.row_header]
        for label, first, last in _spans([h[level] for h in headers], [h[: level + 1] for h in headers]):
            span = last - first + 1
            attr = f' colspan="{span}"' if span > 1 else ""
            cells.append(f"<th{attr}>{html.escape(label)}</th>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = []
    for group in table.groups:
        parts = []
        if group.label and group.show_label:
            span = n_head + len(table.columns)
            parts.append(f'<tr class="group"><td colspan="{span}">{html.escape(group.label)}</td></tr>')
        parts += [_html_row(r) for r in group.rows]
        body.append(f"<tbody>{''.join(parts)}</tbody>")
    caption = f"<caption>{html.escape(table.title)}: {html.escape(table.caption)}</caption>"
    head = f"<thead>{''.join(rows)}</thead>"
    return f'<table class="paper" id="{html.escape(table.name)}">{caption}{head}{"".join(body)}</table>'


def render_html(table: PaperTable) -> str:
    """A standalone HTML page (inline CSS, no external resources) holding the table and its footnotes."""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in table.footnotes)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(table.title)}</title>"
        f"<style>{HTML_STYLE}</style></head><body>\n{render_html_table(table)}\n"
        f'<ul class="notes">{notes}</ul>\n</body></html>\n'
    )


RENDERERS: dict[str, Callable[[PaperTable], str]] = {
    "md": render_markdown,
    "latex": render_latex,
    "csv": render_csv,
    "html": render_html,
}


def render(table: PaperTable, fmt: str) -> str:
    """Render ``table`` as ``md``, ``latex``, ``csv`` or ``html``."""
    try:
        return RENDERERS[fmt](table)
    except KeyError:
        raise ConfigError(f"unknown table format {fmt!r}; expected one of {', '.join(FORMATS)}") from None
