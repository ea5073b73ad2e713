"""Per-paper metadata (``<paper>/paper.yaml``): bibliographic facts, captions and table layouts.

The layout of a table is what a renderer needs to redraw it in the paper's shape: the row header
columns, the rows in print order (``row`` is the 1-based index used in the CSV, ``label`` the
printed row-header cells, ``group`` the printed block label or None), and the value columns in
print order, each selecting CSV lines by ``match`` (field -> value) within a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.errors import ResultError
from harness.reported.schema import TABLE_KINDS


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One printed row: 1-based index, printed header cells, block label, and its seed line."""

    row: int
    label: tuple[str, ...]
    group: str | None
    source_line: int
    source_text: str


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One printed value column: header levels, the CSV fields that select its cells, and derivations."""

    header: tuple[str, ...]
    match: dict[str, str]
    average_of: tuple[str, ...] = ()
    """Targets whose values this (Average) column is the mean of, in the same row."""
    delta_of: dict[str, dict[str, str]] | None = None
    """``{"minuend": match, "subtrahend": match}``: this column is minuend minus subtrahend, same row."""
    split_settings: tuple[str, ...] = ()
    """Settings printed together as ``a/b`` in one cell (e.g. single-model / re-ranking)."""


@dataclass(frozen=True, slots=True)
class TableLayout:
    """Row and column structure of one paper table."""

    row_header: tuple[str, ...]
    rows: tuple[RowSpec, ...]
    columns: tuple[ColumnSpec, ...]
    row_groups_field: str | None = None
    cell_format: str | None = None


@dataclass(frozen=True, slots=True)
class TableMeta:
    """One transcribed table: its paper's label and caption, kind, CSV file, notes and layout."""

    paper: str
    table: str
    label: str
    caption: str
    kind: str
    csv: str
    source_lines: tuple[int, int]
    notes: tuple[str, ...]
    layout: TableLayout


@dataclass(frozen=True, slots=True)
class PaperMeta:
    """One seed paper: identity, bibliographic facts (None when the seed does not state them) and tables."""

    paper: str
    title: str
    authors: tuple[str, ...]
    venue: str | None
    year: int | None
    method: str
    seed_file: str
    scale: dict[str, str]
    protocol_labels: dict[str, str]
    notes: tuple[str, ...]
    tables: dict[str, TableMeta] = field(default_factory=dict)


def _need(d: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise ResultError(f"{where}: missing key {key!r}")
    value = d[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ResultError(f"{where}: key {key!r} must be {names}, got {type(value).__name__}")
    return value


def _layout(raw: Any, where: str) -> TableLayout:
    rows = []
    for i, r in enumerate(_need(raw, "rows", list, where), start=1):
        w = f"{where}.rows[{i}]"
        row = _need(r, "row", int, w)
        if row != i:
            raise ResultError(f"{w}: key 'row' must be {i} (rows are listed in print order), got {row}")
        label = _need(r, "label", list, w)
        group = r.get("group")
        if group is not None and not isinstance(group, str):
            raise ResultError(f"{w}: key 'group' must be a string or null")
        rows.append(
            RowSpec(
                row=row,
                label=tuple(str(x) for x in label),
                group=group,
                source_line=_need(r, "source_line", int, w),
                source_text=_need(r, "source_text", str, w),
            )
        )
    columns = []
    for j, c in enumerate(_need(raw, "columns", list, where), start=1):
        w = f"{where}.columns[{j}]"
        match = _need(c, "match", dict, w)
        columns.append(
            ColumnSpec(
                header=tuple(str(x) for x in _need(c, "header", list, w)),
                match={str(k): str(v) for k, v in match.items()},
                average_of=tuple(c.get("average_of", ())),
                delta_of=c.get("delta_of"),
                split_settings=tuple(c.get("split_settings", ())),
            )
        )
    return TableLayout(
        row_header=tuple(str(x) for x in _need(raw, "row_header", list, where)),
        rows=tuple(rows),
        columns=tuple(columns),
        row_groups_field=raw.get("row_groups_field"),
        cell_format=raw.get("cell_format"),
    )


def load_paper_meta(path: Path) -> PaperMeta:
    """Read and validate one ``paper.yaml``; a malformed file raises :class:`ResultError` naming the key.

    Parsed files are cached by path, size and modification time.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ResultError(f"{path}: cannot read paper metadata ({exc})") from exc
    return _load_cached(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _load_cached(name: str, size: int, mtime_ns: int) -> PaperMeta:
    path = Path(name)
    from harness.yamlio import load_yaml

    raw = load_yaml(path, what="paper metadata", error=ResultError)
    where = str(path)
    paper = _need(raw, "paper", str, where)
    if paper != path.parent.name:
        raise ResultError(f"{where}: key 'paper' is {paper!r} but the folder is {path.parent.name!r}")
    tables: dict[str, TableMeta] = {}
    for name, t in (_need(raw, "tables", dict, where) or {}).items():
        w = f"{where}: tables.{name}"
        kind = _need(t, "kind", str, w)
        if kind not in TABLE_KINDS:
            raise ResultError(f"{w}: kind {kind!r} is not one of {', '.join(TABLE_KINDS)}")
        lines = _need(t, "source_lines", list, w)
        if len(lines) != 2 or not all(isinstance(x, int) for x in lines):
            raise ResultError(f"{w}: source_lines must be [first, last] line numbers")
        tables[name] = TableMeta(
            paper=paper,
            table=name,
            label=_need(t, "label", str, w),
            caption=_need(t, "caption", str, w),
            kind=kind,
            csv=_need(t, "csv", str, w),
            source_lines=(lines[0], lines[1]),
            notes=tuple(_need(t, "notes", list, w)),
            layout=_layout(_need(t, "layout", dict, w), f"{w}.layout"),
        )
    year = raw.get("year")
    if year is not None and not isinstance(year, int):
        raise ResultError(f"{where}: key 'year' must be an integer or null")
    return PaperMeta(
        paper=paper,
        title=_need(raw, "title", str, where),
        authors=tuple(raw.get("authors") or ()),
        venue=raw.get("venue"),
        year=year,
        method=_need(raw, "method", str, where),
        seed_file=_need(raw, "seed_file", str, where),
        scale=dict(raw.get("scale") or {}),
        protocol_labels=dict(raw.get("protocol_labels") or {}),
        notes=tuple(raw.get("notes") or ()),
        tables=tables,
    )
