"""Load and validate the seed papers' reported numbers.

``load_reported()`` returns one long-format DataFrame (one line per printed cell) after checking
every field of every line; a malformed file raises :class:`~harness.errors.ResultError` naming the
file, the line (1-based, the header is line 1) and the field.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import RegistryError, ResultError
from harness.registry import suggest
from harness.reported.meta import PaperMeta, TableLayout, TableMeta, load_paper_meta
from harness.reported.paths import reported_dir
from harness.reported.schema import (
    AVERAGE_TARGET,
    COLUMNS,
    METRICS,
    VALUE_RE,
    YEAR_RE,
    empty_cell_status,
)
from harness.reported.vocabulary import check_protocol, parse_target, parse_training_set

OUTPUT_COLUMNS: tuple[str, ...] = (*COLUMNS, "value_text", "status")
"""Columns of :func:`load_reported`: the CSV columns, ``value`` as float (NaN when empty), plus
``value_text`` (the value exactly as stored) and ``status`` (see ``schema.STATUSES``)."""

_KEY = ("row", "method", "training_set", "target", "metric", "setting")


def list_papers(root: Path | None = None) -> dict[str, PaperMeta]:
    """All papers under the reported-numbers directory, by paper id (sorted)."""
    base = root or reported_dir()
    return {p.parent.name: load_paper_meta(p) for p in sorted(base.glob("*/paper.yaml"))}


def paper_info(paper: str, root: Path | None = None) -> PaperMeta:
    """Metadata of one paper; an unknown id raises :class:`RegistryError` with suggestions."""
    base = root or reported_dir()
    path = base / paper / "paper.yaml"
    if not path.is_file():
        known = sorted(p.parent.name for p in base.glob("*/paper.yaml"))
        raise RegistryError(f"unknown paper {paper!r} in reported numbers ({base}).{suggest(paper, known)}")
    return load_paper_meta(path)


def table_meta(paper: str, table: str, root: Path | None = None) -> TableMeta:
    """Caption, kind, notes and layout of one table (``table`` is the CSV stem, e.g. ``table6``)."""
    info = paper_info(paper, root)
    if table not in info.tables:
        raise RegistryError(
            f"paper {paper!r} has no transcribed table {table!r}.{suggest(table, list(info.tables))}"
            f" Known: {', '.join(info.tables) or 'none'}"
        )
    return info.tables[table]


def table_layout(paper: str, table: str, root: Path | None = None) -> TableLayout:
    """Row/column layout needed to re-render one table in the paper's shape."""
    return table_meta(paper, table, root).layout


def list_tables(paper: str | None = None, root: Path | None = None) -> pd.DataFrame:
    """One line per transcribed table: paper, table, label, caption, kind, csv, first/last seed line."""
    papers = list_papers(root) if paper is None else {paper: paper_info(paper, root)}
    records = [
        {
            "paper": t.paper,
            "table": t.table,
            "label": t.label,
            "caption": t.caption,
            "kind": t.kind,
            "csv": t.csv,
            "first_line": t.source_lines[0],
            "last_line": t.source_lines[1],
        }
        for info in papers.values()
        for t in info.tables.values()
    ]
    return pd.DataFrame.from_records(
        records, columns=["paper", "table", "label", "caption", "kind", "csv", "first_line", "last_line"]
    )


def load_reported(
    paper: str | None = None, table: str | None = None, root: Path | None = None
) -> pd.DataFrame:
    """Validated long-format reported numbers, optionally restricted to one paper and/or table.

    ``value`` is a float in the paper's printed scale (NaN for a cell that is not reported, not
    applicable or unreadable; ``status`` says which and ``note`` keeps the printed text).
    """
    base = root or reported_dir()
    if paper is None:
        if table is not None:
            raise RegistryError(
                "load_reported(table=...) needs paper=... as well (table names repeat across papers)"
            )
        metas = list(list_papers(base).values())
    else:
        metas = [paper_info(paper, base)]
    frames = []
    for info in metas:
        tables = info.tables.values() if table is None else [table_meta(info.paper, table, base)]
        for t in tables:
            frames.append(_read_table(base / info.paper / t.csv, t))
    if not frames:
        return _empty_frame()
    return pd.concat(frames, ignore_index=True)


def check_directory(root: Path | None = None) -> None:
    """Raise :class:`ResultError` if a CSV in a paper folder is not declared in its ``paper.yaml``."""
    base = root or reported_dir()
    for paper, info in list_papers(base).items():
        declared = {t.csv for t in info.tables.values()}
        for path in sorted((base / paper).glob("*.csv")):
            if path.name not in declared:
                raise ResultError(f"{path}: not declared under 'tables' in {base / paper / 'paper.yaml'}")


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS})


def _read_table(path: Path, meta: TableMeta) -> pd.DataFrame:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            lines = list(reader)
    except OSError as exc:
        raise ResultError(f"{path}: cannot read reported numbers ({exc})") from exc
    if header is None or tuple(header) != COLUMNS:
        raise ResultError(f"{path}: line 1: header must be {','.join(COLUMNS)}, got {','.join(header or [])}")
    records = []
    seen: dict[tuple[str, ...], int] = {}
    valid_rows = {r.row for r in meta.layout.rows}
    for lineno, fields in enumerate(lines, start=2):
        if len(fields) != len(COLUMNS):
            raise ResultError(f"{path}: line {lineno}: expected {len(COLUMNS)} fields, got {len(fields)}")
        rec = dict(zip(COLUMNS, fields, strict=True))
        _check_record(rec, path, lineno, meta, valid_rows)
        key = tuple(rec[k] for k in _KEY)
        if key in seen:
            raise ResultError(
                f"{path}: line {lineno}: duplicates line {seen[key]} "
                f"(same {', '.join(_KEY)}: {', '.join(key)})"
            )
        seen[key] = lineno
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame["value_text"] = frame["value"]
    frame["status"] = [
        "reported" if v else empty_cell_status(n)[0]  # type: ignore[index]
        for v, n in zip(frame["value"], frame["note"], strict=True)
    ]
    frame["value"] = [float(v) if v else np.nan for v in frame["value_text"]]
    frame["row"] = frame["row"].astype(int)
    frame["source_line"] = frame["source_line"].astype(int)
    frame["method_year"] = pd.array([int(y) if y else None for y in frame["method_year"]], dtype="Int64")
    return frame[list(OUTPUT_COLUMNS)]


def _fail(path: Path, lineno: int, field: str, message: str) -> ResultError:
    return ResultError(f"{path}: line {lineno}: field {field!r}: {message}")


def _check_record(rec: dict[str, str], path: Path, lineno: int, meta: TableMeta, rows: set[int]) -> None:
    if rec["paper"] != meta.paper:
        raise _fail(path, lineno, "paper", f"expected {meta.paper!r} (the folder name), got {rec['paper']!r}")
    if rec["table"] != meta.table:
        raise _fail(path, lineno, "table", f"expected {meta.table!r} (the file name), got {rec['table']!r}")
    for name in ("row", "source_line"):
        if not rec[name].isdigit() or int(rec[name]) < 1:
            raise _fail(path, lineno, name, f"expected a positive integer, got {rec[name]!r}")
    if int(rec["row"]) not in rows:
        raise _fail(
            path, lineno, "row", f"row {rec['row']} is not in the table's layout (rows 1-{len(rows)})"
        )
    statistics = meta.kind == "statistics"
    if not rec["method"] and not statistics:
        raise _fail(path, lineno, "method", "empty (only 'statistics' tables may omit the method)")
    if rec["method_year"] and not YEAR_RE.match(rec["method_year"]):
        raise _fail(
            path, lineno, "method_year", f"expected a 4-digit year or empty, got {rec['method_year']!r}"
        )
    try:
        check_protocol(rec["protocol"])
    except ResultError as exc:
        raise _fail(path, lineno, "protocol", str(exc)) from None
    target = rec["target"]
    try:
        parse_target(target, statistics=statistics)
    except ResultError as exc:
        raise _fail(path, lineno, "target", str(exc)) from None
    try:
        sets = parse_training_set(rec["training_set"])
    except ResultError as exc:
        raise _fail(path, lineno, "training_set", str(exc)) from None
    if not sets and not statistics and target != AVERAGE_TARGET:
        raise _fail(
            path, lineno, "training_set", "empty (allowed only for Average columns and statistics tables)"
        )
    if rec["metric"] not in METRICS:
        raise _fail(
            path, lineno, "metric", f"unknown {rec['metric']!r}.{suggest(rec['metric'], list(METRICS))}"
        )
    value = rec["value"]
    if value:
        if not VALUE_RE.match(value):
            raise _fail(
                path,
                lineno,
                "value",
                f"expected a number as printed (e.g. 63.4, +0.09) or empty, got {value!r}",
            )
    elif empty_cell_status(rec["note"]) is None:
        raise _fail(
            path,
            lineno,
            "note",
            'an empty value needs a note starting with not reported: "<printed>", '
            f'not applicable: "<printed>" or unreadable: "<printed>"; got {rec["note"]!r}',
        )
