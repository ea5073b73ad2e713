"""Build a :class:`PaperTable` from a reported table's layout metadata, with measured rows beside it.

Everything comes from ``paper.yaml`` (rows, groups, columns) and the table's CSV; no table is
hand-coded. Measured records (:mod:`harness.reports.measured`) are placed by protocol + training sets
+ test dataset + metric + setting: in a table whose rows are methods they become a row in each block
whose reported lines they match (followed by a delta row against the same method as reported, or the
paper's own method); in a table whose columns are methods (DGCMIA Table 2) they become extra columns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from harness.errors import ResultError
from harness.reported import METRICS, load_reported, paper_info, table_meta
from harness.reported.layout import cell_map
from harness.reported.meta import ColumnSpec, TableMeta
from harness.reported.schema import empty_cell_status, split_sets
from harness.reports.marks import apply_marks
from harness.reports.measured import Measured
from harness.reports.model import Cell, Column, Group, PaperTable, Part, Row
from harness.reports.names import resolve_table

NONREPORTABLE_MARK = "†"
MISSING = "—"
UNREADABLE = "?"

Key = tuple[str, frozenset[str], str, str, str]
"""(protocol, training sets, target, setting, metric) of a reported line."""


@dataclass
class _Source:
    meta: TableMeta
    frame: pd.DataFrame
    cells: dict[tuple[int, int], list[int]]
    own_method: str
    decimals: list[int] = field(default_factory=list)


def _decimals(texts: list[str]) -> int:
    best = 0
    for text in texts:
        if "." in text:
            best = max(best, len(text.split(".", 1)[1]))
    return best


def _fmt(value: float, decimals: int, signed: bool = False) -> str:
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def _part(rec: pd.Series) -> Part:
    if rec["status"] == "reported":
        return Part(str(rec["value_text"]), float(rec["value"]))
    if rec["status"] == "unreadable":
        return Part(UNREADABLE)
    status = empty_cell_status(str(rec["note"]))
    return Part(status[1] if status and status[1] else MISSING)


def _norm(name: str) -> str:
    return "".join(c for c in name.split("[", 1)[0].lower() if c.isalnum())


def _pad_label(label: tuple[str, ...], width: int) -> tuple[str, ...]:
    """Row-header cells padded on the left to the header's width (a merged leading cell prints empty)."""
    return ("",) * (width - len(label)) + tuple(label)


def _column(spec: ColumnSpec, kind: str) -> Column:
    metric = spec.match.get("metric")
    info = METRICS.get(metric) if metric else None
    hib = info.higher_is_better if info is not None and kind != "statistics" else None
    return Column(header=spec.header, metric=metric, higher_is_better=hib)


def _load(name: str) -> tuple[str, _Source]:
    tn = resolve_table(name)
    meta = table_meta(tn.paper, tn.table)
    frame = load_reported(tn.paper, tn.table)
    cells = cell_map(frame, meta.layout, f"{tn.paper}/{meta.csv}")
    source = _Source(meta, frame, cells, paper_info(tn.paper).method)
    for j in range(len(meta.layout.columns)):
        texts = [str(frame.at[i, "value_text"]) for (r, jj), idxs in cells.items() if jj == j for i in idxs]
        source.decimals.append(_decimals(texts))
    return tn.name, source


def build_table(
    name: str, measured: list[Measured] | None = None, *, allow_nonreportable: bool = False
) -> PaperTable:
    """The table ``name`` (``retext-t6``) in its paper's shape, with ``measured`` results inserted.

    Measured results from random-init weights or synthetic data raise :class:`ResultError` unless
    ``allow_nonreportable``; then they are marked with ``†`` and a footnote, and never ranked.
    """
    table_name, src = _load(name)
    meta, layout = src.meta, src.meta.layout
    info = paper_info(meta.paper)
    columns = [_column(c, meta.kind) for c in layout.columns]
    method_columns = any("method" in c.match for c in layout.columns)
    rank_by = "none" if meta.kind == "statistics" else ("row" if method_columns else "column")

    groups: list[Group] = []
    row_lines: dict[int, list[int]] = defaultdict(list)
    for (r, _j), idxs in src.cells.items():
        row_lines[r].extend(idxs)
    width = len(layout.row_header)
    for spec in layout.rows:
        label = _pad_label(spec.label, width)
        if not groups or groups[-1].label != spec.group:
            if len(spec.label) < width and spec.group is not None:
                label = (spec.group, *label[1:])  # the block label fills the missing leading header cell
            groups.append(Group(spec.group, show_label=spec.group is not None and spec.group not in label))
        cells = []
        for j, col in enumerate(layout.columns):
            recs = [src.frame.loc[i] for i in src.cells.get((spec.row, j), [])]
            if col.split_settings:
                recs.sort(key=lambda rec, c=col: c.split_settings.index(rec["setting"]))
            cells.append(Cell([_part(rec) for rec in recs]))
        methods = [str(src.frame.at[i, "method"]) for i in row_lines.get(spec.row, [])]
        groups[-1].rows.append(Row(label=label, cells=cells, method=methods[0] if methods else ""))

    used: list[Measured] = []
    if measured:
        if method_columns:
            used = _measured_columns(src, columns, groups, measured)
        else:
            used = _measured_rows(src, groups, measured, info.method)
    blocked = [m for m in used if m.nonreportable]
    if blocked and not allow_nonreportable:
        listing = "; ".join(f"{m.path} ({m.why_not_reportable})" for m in blocked[:5])
        raise ResultError(
            f"{len(blocked)} measured result(s) for {table_name} are not reportable: {listing}. "
            "Pass --allow-nonreportable to show them, marked with †"
        )
    table = PaperTable(
        name=table_name,
        title=f"{info.method} {meta.label}",
        caption=meta.caption,
        row_header=layout.row_header,
        columns=columns,
        groups=groups,
        rank_by=rank_by,  # type: ignore[arg-type]
        footnotes=_footnotes(src, info, rank_by, used),
    )
    apply_marks(table)
    return table


def _footnotes(src: _Source, info, rank_by: str, used: list[Measured]) -> list[str]:
    meta = src.meta
    where = f"{info.venue} {info.year}".strip() if info.venue or info.year else ""
    notes = [
        f"Reported: {info.title}{f' ({where})' if where else ''}, {meta.label}; "
        f"seed {info.seed_file} lines {meta.source_lines[0]}-{meta.source_lines[1]}; "
        f"data results/reported/{meta.paper}/{meta.csv}."
    ]
    if rank_by == "column":
        notes.append("Bold: best, underlined: second best, per column within each block.")
    elif rank_by == "row":
        notes.append("Bold: best, underlined: second best, per metric within each row.")
    statuses = set(src.frame["status"])
    if "unreadable" in statuses:
        notes.append(f"{UNREADABLE}: unreadable in the source text (raw text in the CSV note).")
    if used:
        notes.append(
            "Measured (this harness, metric fractions x100): "
            + "; ".join(sorted({f"{m.method} on {m.protocol}/{m.leg}: {m.path}" for m in used}))
        )
    if any(m.nonreportable for m in used):
        reasons = sorted({m.why_not_reportable for m in used if m.nonreportable})
        notes.append(
            f"{NONREPORTABLE_MARK} not reportable ({'; '.join(reasons)}): shown on request, never ranked."
        )
    return notes


def _keys(src: _Source, row_ids: set[int], j: int) -> list[set[Key]]:
    """Per part of column ``j``: the (protocol, train, target, setting, metric) keys of its reported lines."""
    col = src.meta.layout.columns[j]
    n = max(1, len(col.split_settings))
    keys: list[set[Key]] = [set() for _ in range(n)]
    for (r, jj), idxs in src.cells.items():
        if jj != j or r not in row_ids:
            continue
        for i in idxs:
            line = src.frame.loc[i]
            k = col.split_settings.index(line["setting"]) if col.split_settings else 0
            keys[k].add(
                (
                    str(line["protocol"]),
                    frozenset(split_sets(str(line["training_set"]))),
                    str(line["target"]),
                    str(line["setting"]),
                    str(line["metric"]),
                )
            )
    return keys


def _lookup(candidates: list[Measured], keys: set[Key]) -> tuple[float, Measured, str] | None:
    for protocol, train, target, setting, metric in sorted(keys, key=str):
        for m in candidates:
            if (
                m.protocol == protocol
                and m.target == target
                and (not train or m.train == train)
                and m.matches_setting(setting)
                and metric in m.metrics
            ):
                return m.metrics[metric], m, metric
    return None


def _measured_rows(src: _Source, groups: list[Group], measured: list[Measured], own: str) -> list[Measured]:
    layout = src.meta.layout
    by_method: dict[str, list[Measured]] = defaultdict(list)
    for m in measured:
        by_method[m.method].append(m)
    used: list[Measured] = []
    spec_rows = iter(layout.rows)
    for group in groups:
        ids = {next(spec_rows).row for _ in group.rows}
        keys = [_keys(src, ids, j) for j in range(len(layout.columns))]
        for method, candidates in sorted(by_method.items()):
            cells, hits = _fill_row(src, keys, candidates)
            if not hits:
                continue
            used.extend(hits)
            nonrep = any(m.nonreportable for m in hits)
            label = [""] * len(layout.row_header)
            label[0] = f"{method} (measured){NONREPORTABLE_MARK if nonrep else ''}"
            row = Row(
                label=tuple(label),
                cells=cells,
                kind="measured",
                method=method,
                reportable=not nonrep,
                sources=tuple(sorted({m.path for m in hits})),
            )
            ref_at = _reference(group, method, own)
            new_rows = [row]
            if ref_at is not None:
                new_rows.append(_delta_row(src, row, group.rows[ref_at], len(label)))
            at = len(group.rows) if ref_at is None else ref_at + 1
            group.rows[at:at] = new_rows
    return list(dict.fromkeys(used))


def _fill_row(src: _Source, keys: list[list[set[Key]]], candidates: list[Measured]):
    layout = src.meta.layout
    values: list[list[float | None]] = []
    hits: list[Measured] = []
    sources: dict[tuple[int, int], tuple[str, str]] = {}  # (column, part) -> (record path, metric)
    for j, col in enumerate(layout.columns):
        part_values: list[float | None] = []
        for k in range(max(1, len(col.split_settings))):
            found = None if (col.average_of or col.delta_of) else _lookup(candidates, keys[j][k])
            if found:
                hits.append(found[1])
                sources[(j, k)] = (found[1].path, found[2])
            part_values.append(found[0] if found else None)
        values.append(part_values)
    for j, col in enumerate(layout.columns):
        if not col.average_of:
            continue
        metric = col.match.get("metric")
        for k in range(len(values[j])):
            members = [
                values[i][k] if k < len(values[i]) else None
                for i, other in enumerate(layout.columns)
                if other.match.get("metric") == metric and other.match.get("target") in col.average_of
            ]
            if members and len(members) == len(col.average_of) and all(v is not None for v in members):
                values[j][k] = sum(members) / len(members)  # type: ignore[arg-type]
    cells = [
        Cell(
            [
                Part(_fmt(v, max(1, src.decimals[j])), v, None, *sources.get((j, k), (None, None)))
                if v is not None
                else Part(MISSING)
                for k, v in enumerate(vals)
            ]
        )
        if any(v is not None for v in vals)
        else Cell([Part(MISSING)])
        for j, vals in enumerate(values)
    ]
    return cells, hits


def _reference(group: Group, method: str, own: str) -> int | None:
    """Index of the reported row to compare a measured row with: same method, else the paper's own."""
    rows = [(i, r) for i, r in enumerate(group.rows) if r.kind == "reported"]
    for wanted in (_norm(method), _norm(own)):
        for i, r in rows:
            if r.method and _norm(r.method) == wanted:
                return i
    return None


def _delta_row(src: _Source, measured: Row, reference: Row, width: int) -> Row:
    cells = []
    for j, (mc, rc) in enumerate(zip(measured.cells, reference.cells, strict=True)):
        parts = []
        for k, mp in enumerate(mc.parts):
            rp = rc.parts[k] if k < len(rc.parts) else None
            if mp.value is not None and rp is not None and rp.value is not None:
                diff = mp.value - rp.value
                parts.append(Part(_fmt(diff, max(1, src.decimals[j]), signed=True), diff))
            else:
                parts.append(Part(MISSING))
        cells.append(Cell(parts if any(p.value is not None for p in parts) else []))
    label = [""] * width
    label[0] = f"Δ vs {reference.method} (reported)"
    return Row(
        label=tuple(label), cells=cells, kind="delta", method=measured.method, reportable=measured.reportable
    )


def _measured_columns(
    src: _Source, columns: list[Column], groups: list[Group], measured: list[Measured]
) -> list[Measured]:
    """Tables whose columns are methods: one block of columns per measured method."""
    layout = src.meta.layout
    metrics: list[tuple[str, str]] = []
    for col in layout.columns:
        metric = col.match.get("metric", "")
        info = METRICS.get(metric)
        known = [m for m, _ in metrics]
        if "method" in col.match and info and info.higher_is_better is not None and metric not in known:
            metrics.append((metric, col.header[-1]))
    by_method: dict[str, list[Measured]] = defaultdict(list)
    for m in measured:
        by_method[m.method].append(m)
    spec_rows = [spec.row for spec in layout.rows]
    all_rows = [r for g in groups for r in g.rows]
    used: list[Measured] = []
    for method, candidates in sorted(by_method.items()):
        per_row: list[dict[str, tuple[float, Measured]]] = []
        for row_id in spec_rows:
            keys = {
                (
                    str(line["protocol"]),
                    frozenset(split_sets(str(line["training_set"]))),
                    str(line["target"]),
                    str(line["setting"]),
                    metric,
                )
                for i in [i for (r, _j), idxs in src.cells.items() if r == row_id for i in idxs]
                for line in [src.frame.loc[i]]
                for metric, _ in metrics
            }
            found = {}
            for metric, _ in metrics:
                hit = _lookup(candidates, {k for k in keys if k[4] == metric})
                if hit:
                    found[metric] = hit
            per_row.append(found)
        hits = [h[1] for found in per_row for h in found.values()]
        if not hits:
            continue
        used.extend(hits)
        nonrep = any(m.nonreportable for m in hits)
        title = f"{method} (measured){NONREPORTABLE_MARK if nonrep else ''}"
        for metric, label in metrics:
            info = METRICS[metric]
            columns.append(Column((title, label), metric, info.higher_is_better, measured_method=method))
            decimals = max(
                (src.decimals[j] for j, c in enumerate(layout.columns) if c.match.get("metric") == metric),
                default=2,
            )
            for row, found in zip(all_rows, per_row, strict=True):
                hit = found.get(metric)
                part = Part(_fmt(hit[0], decimals), hit[0], None, hit[1].path, hit[2]) if hit else Part(MISSING)
                row.cells.append(Cell([part]))
        for col in columns[-len(metrics) :]:
            col.reportable = not nonrep
    return list(dict.fromkeys(used))
