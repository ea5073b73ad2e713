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
from harness.reported.cells import (
    NO_RUN_AVERAGE,
    NO_RUN_DELTA,
    CellIdentity,
    CellRef,
    NoRun,
    cell_identity,
    explain_miss,
    fills,
)
from harness.reported.layout import cell_map
from harness.reported.meta import ColumnSpec, TableMeta
from harness.reported.schema import empty_cell_status
from harness.reports.marks import apply_marks
from harness.reports.measured import Measured, cost_value
from harness.reports.model import Cell, Column, Group, PaperTable, Part, Row
from harness.reports.names import resolve_table

NONREPORTABLE_MARK = "†"
MISSING = "—"
UNREADABLE = "?"


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
    unplaced: list[str] = []
    if measured:
        where = f"{meta.paper}/{meta.csv}"
        if method_columns:
            used, idents = _measured_columns(src, columns, groups, measured, where)
        else:
            used, idents = _measured_rows(src, groups, measured, info.method, where)
        unplaced = _unplaced(measured, used, idents, src)
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
        unplaced=unplaced,
    )
    apply_marks(table)
    return table


def _footnotes(src: _Source, info, rank_by: str, used: list[Measured]) -> list[str]:
    meta = src.meta
    where = f"{info.venue} {info.year}".strip() if info.venue or info.year else ""
    notes = [
        f"Reported: {info.title}{f' ({where})' if where else ''}, {meta.label} "
        f"(lines {meta.source_lines[0]}-{meta.source_lines[1]} of the paper's text)."
    ]
    notes += _fill_notes(src, info)
    if rank_by == "column":
        notes.append("Bold: best, underlined: second best, per column within each block.")
    elif rank_by == "row":
        notes.append("Bold: best, underlined: second best, per metric within each row.")
    statuses = set(src.frame["status"])
    if "unreadable" in statuses:
        notes.append(
            f"{UNREADABLE}: unreadable in the paper's text (the printed characters are kept in the data)."
        )
    if used:
        notes.append(
            "Measured (this harness, metric fractions x100): "
            + "; ".join(sorted({f"{m.method} on {m.protocol}/{m.leg}: {m.display_path}" for m in used}))
        )
    from harness.reports.fillability import COST_METRICS

    if any(not m.profile for m in used) and set(COST_METRICS) & set(src.frame["metric"]):
        notes.append(
            f"{MISSING} in a measured row's cost columns: its record has no cost block; "
            "harness run ... --profile fills them."
        )
    timed = [m for m in used if m.profile and m.profile.get("inference_s") is not None]
    if timed and "inference_time" in set(src.frame["metric"]):
        notes.append(
            "Measured inference time: each record's own test set (its gallery images and query "
            "captions), extrapolated from in-memory throughput on the machine that ran it "
            "(harness.profiling.test_set; model compute only), not the paper's test set and GPU: "
            "compare the order of magnitude only."
        )
    if any(m.nonreportable for m in used):
        reasons = sorted({m.why_not_reportable for m in used if m.nonreportable})
        notes.append(
            f"{NONREPORTABLE_MARK} not reportable ({'; '.join(reasons)}): shown on request, never ranked."
        )
    return notes


def _fill_notes(src: _Source, info) -> list[str]:
    """Which runs may fill the cells whose dataset the paper leaves ambiguous, and why."""
    from harness.reported.vocabulary import dataset_label

    refs = set(src.frame["target"]) | {t for ts in src.frame["training_set"] for t in str(ts).split("+") if t}
    notes = []
    for ref in sorted(r for r in refs if "|" in r):
        names = ref.split("[", 1)[0].split("|")
        why = info.ambiguous.get(ref.split("[", 1)[0], "")
        runs = " or ".join(dataset_label(n) for n in names)
        notes.append(
            f"{why} Runs on {runs} may fill these cells." if why else f"Runs on {runs} may fill these cells."
        )
    return notes


# --- measured results: placed by cell identity (harness.reported.cells) -------------------------------

Slot = tuple[int, int]
"""(column index, part index) of a value cell."""


def _identities(src: _Source, where: str) -> dict[int, dict[Slot, CellIdentity]]:
    """Per layout row: the identity of each of its reported (column, part) slots."""
    out: dict[int, dict[Slot, CellIdentity]] = defaultdict(dict)
    for (r, j), idxs in src.cells.items():
        col = src.meta.layout.columns[j]
        for i in idxs:
            line = src.frame.loc[i]
            k = col.split_settings.index(line["setting"]) if col.split_settings else 0
            if col.average_of:
                ident: CellIdentity = NoRun(NO_RUN_AVERAGE)
            elif col.delta_of:
                ident = NoRun(NO_RUN_DELTA)
            elif line["status"] == "not applicable":
                ident = NoRun(f"the paper marks it not applicable ({line['note']})")
            else:
                ident = cell_identity(line, kind=src.meta.kind, where=f"{where} line {line['source_line']}: ")
            out[r][(j, k)] = ident
    return out


def _row_method(m: Measured) -> str:
    """A measured row's method: the method label, plus what tells its model apart (``mine [bf16]``)."""
    tag = m.identity.model_tag if m.identity is not None else ""
    return f"{m.method} [{tag}]" if tag else m.method


def _metric_value(m: Measured, metric: str) -> float | None:
    """A record's value of ``metric`` in the table's unit (percent, M params, GFLOPs, seconds)."""
    if metric in m.metrics:
        return m.metrics[metric]
    return cost_value(m.profile, metric)


def _find(
    candidates: list[Measured], cell: CellIdentity, metric: str | None
) -> tuple[float, Measured] | None:
    """The value of the record that fills ``cell`` (the first of the cell's runs that has one)."""
    if not isinstance(cell, CellRef) or not metric:
        return None
    for run in cell.runs:
        for m in candidates:
            if m.identity is None or (m.identity.protocol, m.identity.leg) != run:
                continue
            value = _metric_value(m, metric)
            if value is not None and fills(m.identity, cell):
                return value, m
    return None


@dataclass
class _Class:
    """Rows of one block that a run reproduces the same way (same identity in every cell)."""

    rows: list[int]
    idents: dict[Slot, CellIdentity]


def _classes(group_rows: list[int], idents: dict[int, dict[Slot, CellIdentity]]) -> list[_Class]:
    """Group rows whose cells a run reproduces the same way. Rows that print fewer parts (a single
    value where others print ``a/b``) join the class they agree with on every shared cell."""
    classes: list[_Class] = []
    for r in group_rows:
        mine = {slot: i for slot, i in idents.get(r, {}).items() if isinstance(i, CellRef)}
        if not mine:
            continue
        for cls in classes:
            shared = set(mine) & set(cls.idents)
            if shared and all(mine[s].key == cls.idents[s].key for s in shared):  # type: ignore[union-attr]
                cls.rows.append(r)
                cls.idents.update(mine)
                break
        else:
            classes.append(_Class([r], dict(mine)))
    return classes


def _class_label(cls: _Class, others: list[_Class]) -> str:
    """What tells a class of rows apart from the other classes of its block: the protocol, else the
    training sets, else both."""
    from harness.protocols.registry import get_protocol
    from harness.reported.vocabulary import dataset_label

    def describe(c: _Class) -> tuple[str, str]:
        ref = next(i for _, i in sorted(c.idents.items()) if isinstance(i, CellRef))
        leg = get_protocol(ref.protocol).leg(ref.leg)
        return ref.protocol, "train " + " + ".join(dataset_label(s.dataset) for s in leg.train)

    protocol, train = describe(cls)
    described = [describe(c) for c in others]
    if len({p for p, _ in described}) == len(others):
        return protocol
    if len({t for _, t in described}) == len(others):
        return train
    return f"{protocol}, {train}"


def _measured_rows(
    src: _Source, groups: list[Group], measured: list[Measured], own: str, where: str
) -> tuple[list[Measured], dict[int, dict[Slot, CellIdentity]]]:
    layout = src.meta.layout
    idents = _identities(src, where)
    by_method: dict[str, list[Measured]] = defaultdict(list)
    for m in measured:
        by_method[_row_method(m)].append(m)
    used: list[Measured] = []
    spec_rows = iter(layout.rows)
    for group in groups:
        specs = [next(spec_rows) for _ in group.rows]
        row_of = {spec.row: row for spec, row in zip(specs, group.rows, strict=True)}
        classes = _classes([spec.row for spec in specs], idents)
        for cls in classes:
            members = [row_of[r] for r in cls.rows]
            for method, candidates in sorted(by_method.items()):
                cells, hits = _fill_row(src, cls.idents, candidates)
                if not hits:
                    continue
                used.extend(hits)
                nonrep = any(m.nonreportable for m in hits)
                tag = f", {_class_label(cls, classes)}" if len(classes) > 1 else ""
                label = [""] * len(layout.row_header)
                label[0] = f"{method} (measured{tag}){NONREPORTABLE_MARK if nonrep else ''}"
                for c in range(1, len(label)):
                    shared = {r.label[c] for r in members}
                    if len(shared) == 1:
                        label[c] = shared.pop()
                row = Row(
                    label=tuple(label),
                    cells=cells,
                    kind="measured",
                    method=method,
                    reportable=not nonrep,
                    sources=tuple(sorted({m.display_path for m in hits})),
                )
                ref = _reference(members, method, own)
                new_rows = [row]
                if ref is not None:
                    new_rows.append(_delta_row(src, row, ref, len(label)))
                anchor = ref if ref is not None else members[-1]
                at = group.rows.index(anchor) + 1
                while at < len(group.rows) and group.rows[at].kind != "reported":
                    at += 1  # after rows already inserted for this anchor
                group.rows[at:at] = new_rows
    return list(dict.fromkeys(used)), idents


def _fill_row(src: _Source, idents: dict[Slot, CellIdentity], candidates: list[Measured]):
    layout = src.meta.layout
    values: list[list[float | None]] = []
    hits: list[Measured] = []
    sources: dict[Slot, tuple[str, str]] = {}  # (column, part) -> (record path, metric)
    for j, col in enumerate(layout.columns):
        part_values: list[float | None] = []
        for k in range(max(1, len(col.split_settings))):
            ident = idents.get((j, k))
            metric = col.match.get("metric")
            found = _find(candidates, ident, metric) if ident is not None else None
            if found:
                hits.append(found[1])
                sources[(j, k)] = (found[1].path, str(metric))
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
                Part(_fmt(v, _decimals_for(src, j)), v, None, *sources.get((j, k), (None, None)))
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


def _decimals_for(src: _Source, j: int) -> int:
    """Printed precision of column ``j`` (at least one decimal for percent metrics)."""
    metric = src.meta.layout.columns[j].match.get("metric", "")
    return src.decimals[j] if metric in ("params_M", "gflops", "inference_time") else max(1, src.decimals[j])


def _reference(members: list[Row], method: str, own: str) -> Row | None:
    """The reported row a measured row is compared with: the same method, else the paper's own
    method (its last row in the class: ablation tables print the full model last)."""
    for wanted in (_norm(method), _norm(own)):
        rows = [r for r in members if r.kind == "reported" and r.method and _norm(r.method) == wanted]
        if rows:
            return rows[-1]
    return None


def _delta_row(src: _Source, measured: Row, reference: Row, width: int) -> Row:
    cells = []
    for j, (mc, rc) in enumerate(zip(measured.cells, reference.cells, strict=True)):
        parts = []
        for k, mp in enumerate(mc.parts):
            rp = rc.parts[k] if k < len(rc.parts) else None
            if mp.value is not None and rp is not None and rp.value is not None:
                diff = mp.value - rp.value
                parts.append(Part(_fmt(diff, _decimals_for(src, j), signed=True), diff))
            else:
                parts.append(Part(MISSING))
        cells.append(Cell(parts if any(p.value is not None for p in parts) else []))
    label = [""] * width
    label[0] = f"Δ vs {reference.method} (reported)"
    return Row(
        label=tuple(label), cells=cells, kind="delta", method=measured.method, reportable=measured.reportable
    )


def _measured_columns(
    src: _Source, columns: list[Column], groups: list[Group], measured: list[Measured], where: str
) -> tuple[list[Measured], dict[int, dict[Slot, CellIdentity]]]:
    """Tables whose columns are methods: one block of columns per measured method."""
    layout = src.meta.layout
    idents = _identities(src, where)
    metrics: list[tuple[str, str]] = []
    for col in layout.columns:
        metric = col.match.get("metric", "")
        info = METRICS.get(metric)
        known = [m for m, _ in metrics]
        if "method" in col.match and info and info.higher_is_better is not None and metric not in known:
            metrics.append((metric, col.header[-1]))
    by_method: dict[str, list[Measured]] = defaultdict(list)
    for m in measured:
        by_method[_row_method(m)].append(m)
    spec_rows = [spec.row for spec in layout.rows]
    all_rows = [r for g in groups for r in g.rows]
    used: list[Measured] = []
    for method, candidates in sorted(by_method.items()):
        per_row: list[dict[str, tuple[float, Measured]]] = []
        for row_id in spec_rows:
            found = {}
            for metric, _ in metrics:
                for (j, _k), ident in sorted(idents.get(row_id, {}).items()):
                    if layout.columns[j].match.get("metric") != metric:
                        continue
                    hit = _find(candidates, ident, metric)
                    if hit:
                        found[metric] = hit
                        break
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
                part = Part(_fmt(hit[0], decimals), hit[0], None, hit[1].path, metric) if hit else None
                row.cells.append(Cell([part or Part(MISSING)]))
        for col in columns[-len(metrics) :]:
            col.reportable = not nonrep
    return list(dict.fromkeys(used)), idents


def _unplaced(
    measured: list[Measured], used: list[Measured], idents: dict[int, dict[Slot, CellIdentity]], src: _Source
) -> list[str]:
    """One line per record that fills no cell: the nearest cell and the field that kept it out."""
    layout = src.meta.layout
    groups = {spec.row: spec.group for spec in layout.rows}
    cells: dict[CellRef, str] = {}
    for r, slots in sorted(idents.items()):
        for (j, _k), ident in sorted(slots.items()):
            if isinstance(ident, CellRef) and ident not in cells:
                block = f", block {groups[r]}" if groups[r] else ""
                cells[ident] = f"[{' '.join(layout.columns[j].header)}{block}]"
    placed = {id(m) for m in used}
    protocols = {p for cell in cells for p, _ in cell.runs}
    out = []
    others: dict[str, int] = {}
    for m in measured:
        if id(m) in placed:
            continue
        if m.identity is None:
            out.append(f"{m.display_path}: no run identity")
            continue
        if m.identity.protocol not in protocols:  # not a near miss: counted on one line
            others[m.identity.protocol] = others.get(m.identity.protocol, 0) + 1
            continue
        where = f"{m.method} {m.identity.protocol}/{m.identity.record_leg or m.identity.leg}"
        out.append(
            f"{where} ({m.display_path}) fills no cell: "
            + explain_miss(m.identity, [(label, cell) for cell, label in cells.items()])
        )
    if others:
        counts = ", ".join(f"{p}: {n}" for p, n in sorted(others.items()))
        wanted = ", ".join(sorted(protocols)) or "none"
        out.append(
            f"{sum(others.values())} records of protocols this table does not use ({counts}; it uses "
            f"{wanted}): see harness report --fillable for what fills which table"
        )
    return out
