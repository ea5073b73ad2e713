"""Best (bold) and second-best (underlined) marks, recomputed from the values as papers print them.

``rank_by="column"``: per column and per ``a/b`` part, within each row group; ``"row"`` (tables whose
columns are methods): per row, among the columns of one metric. Delta rows, non-reportable measured
rows/columns and columns whose metric has no direction (deltas, counts) are never ranked. Ties share
a mark; "second" is the next distinct value and needs at least three ranked values.
"""

from __future__ import annotations

from harness.reports.model import Column, PaperTable, Part, Row


def _mark(parts: list[Part], higher_is_better: bool) -> None:
    values = sorted({p.value for p in parts if p.value is not None}, reverse=higher_is_better)
    ranked = [p for p in parts if p.value is not None]
    if len(ranked) < 2 or len(values) < 2:
        return
    for p in ranked:
        if p.value == values[0]:
            p.mark = "best"
        elif p.value == values[1] and len(ranked) >= 3:
            p.mark = "second"


def _rankable_row(row: Row) -> bool:
    return row.kind != "delta" and row.reportable


def apply_marks(table: PaperTable) -> None:
    """Set ``Part.mark`` on every ranked number of ``table`` (in place)."""
    for row in table.rows():
        for cell in row.cells:
            for part in cell.parts:
                part.mark = None
    if table.rank_by == "column":
        for group in table.groups:
            rows = [r for r in group.rows if _rankable_row(r)]
            for j, col in enumerate(table.columns):
                if col.higher_is_better is None or not col.reportable:
                    continue
                width = max((len(r.cells[j].parts) for r in rows), default=0)
                for k in range(width):
                    parts = [r.cells[j].parts[k] for r in rows if k < len(r.cells[j].parts)]
                    _mark(parts, col.higher_is_better)
    elif table.rank_by == "row":
        metrics: dict[str, list[tuple[int, Column]]] = {}
        for j, col in enumerate(table.columns):
            if col.metric and col.higher_is_better is not None and col.reportable:
                metrics.setdefault(col.metric, []).append((j, col))
        for row in table.rows():
            if not _rankable_row(row):
                continue
            for cols in metrics.values():
                parts = [p for j, _ in cols for p in row.cells[j].parts]
                _mark(parts, cols[0][1].higher_is_better)  # type: ignore[arg-type]
