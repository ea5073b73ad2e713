"""Place reported-number lines into a table's printed grid (rows x value columns)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.errors import ResultError
from harness.reported.loader import load_reported, table_meta
from harness.reported.meta import ColumnSpec, TableLayout
from harness.reported.schema import empty_cell_status


def _matches(record: pd.Series, column: ColumnSpec) -> bool:
    if any(str(record[k]) != v for k, v in column.match.items()):
        return False
    return not column.split_settings or record["setting"] in column.split_settings


def cell_map(frame: pd.DataFrame, layout: TableLayout, where: str) -> dict[tuple[int, int], list[int]]:
    """``(row, column index) -> frame indices`` of the lines printed in that cell.

    Raises :class:`ResultError` when a line falls in no column or in several, or when a cell holds
    more lines than it prints (one, or one per ``split_settings`` entry).
    """
    cells: dict[tuple[int, int], list[int]] = {}
    for idx, rec in frame.iterrows():
        hits = [j for j, col in enumerate(layout.columns) if _matches(rec, col)]
        if len(hits) != 1:
            what = "no column" if not hits else f"{len(hits)} columns"
            raise ResultError(
                f"{where}: source line {rec['source_line']}, row {rec['row']}, "
                f"{rec['target']}/{rec['metric']}: matches {what} of the layout"
            )
        cells.setdefault((int(rec["row"]), hits[0]), []).append(idx)  # type: ignore[arg-type]
    for (row, j), idxs in cells.items():
        limit = max(1, len(layout.columns[j].split_settings))
        settings = [frame.at[i, "setting"] for i in idxs]
        if len(idxs) > limit or len(set(settings)) != len(settings):
            raise ResultError(
                f"{where}: row {row}, column {'/'.join(layout.columns[j].header)}: {len(idxs)} lines"
            )
    return cells


def _printed(rec: pd.Series) -> str:
    if rec["status"] == "reported":
        return str(rec["value_text"])
    status = empty_cell_status(str(rec["note"]))
    return status[1] if status else ""


def printed_cells(paper: str, table: str, root: Path | None = None) -> list[list[str | None]]:
    """Each row's value cells as printed, in layout order (``None`` where the row has no such cell).

    A reported value gives its stored text; an empty cell gives the printed text kept in its note
    (``—``, ``-`` or the unreadable OCR text); an ``a/b`` cell is joined back with ``/``.
    """
    meta = table_meta(paper, table, root)
    frame = load_reported(paper, table, root)
    cells = cell_map(frame, meta.layout, f"{paper}/{meta.csv}")
    out: list[list[str | None]] = []
    for row in meta.layout.rows:
        printed: list[str | None] = []
        for j, col in enumerate(meta.layout.columns):
            idxs = cells.get((row.row, j))
            if not idxs:
                printed.append(None)
                continue
            recs = [frame.loc[i] for i in idxs]
            if col.split_settings:
                recs.sort(key=lambda r: col.split_settings.index(r["setting"]))
            printed.append("/".join(_printed(r) for r in recs))
        out.append(printed)
    return out
