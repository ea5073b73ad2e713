"""A protocol's leaderboard as the papers print it: one row per method (and setting), reported and
measured; one column group per leg (R1, mAP), then the average over the protocol's legs.

- **Columns** are the protocol's legs from the protocol registry, titled ``sources -> target``. A
  reported entry goes to the leg whose test dataset and training sets it names (dataset names
  through the dataset registry's aliases, so ``cuhk03-np`` is the leg on ``cuhk03-np-labeled`` and
  ``cuhk-sysu`` is ``cuhksysu``); an entry that fits no leg gets a column of its own.
- **Rows**: reported rows are named as printed (``TransReID``); measured rows use the same spelling
  when the method matches a reported one (case and punctuation ignored), with ``[variant]``.
- **One value per cell.** When two reported tables print a number for the same cell (DGCMIA
  Tables 1 and 3), the comparison table wins over robustness and complexity tables and the others
  are listed in the cell's ``also`` (shown on hover).
- **Average**: the mean over the protocol's legs, when the row has all of them.
- **Marks**: best (bold) and second (underlined) per column among reportable rows, with the
  tables' rule (:mod:`harness.reports.marks`); not-reportable measured rows are never ranked.
- **Decimals**: every value printed with the metric registry's decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.reports.leaderboard.entries import Entry
from harness.reports.marks import _mark
from harness.reports.model import Part
from harness.reports.plots.style import leg_title, metric_decimals

BOARD_METRICS = ("R1", "mAP")
"""The metrics of a leg's column group, as the papers print them."""
AVERAGE = "average"
_KIND_ORDER = {"comparison": 0, "robustness": 1, "complexity": 2}


def _dataset(name: str) -> str:
    from harness.data.registry import DATASETS

    return DATASETS.canonical(name) if name in DATASETS else name


@dataclass(frozen=True)
class BoardColumn:
    """One column group: a leg of the protocol (or an unmatched train -> target pair)."""

    key: str
    title: str
    target: str
    train: frozenset[str]
    is_leg: bool
    merged: bool = False
    """A source contributes its test splits too (the reported vocabulary's ``<dataset>-merged``)."""


@dataclass
class BoardCell:
    value: float | None = None
    text: str = ""
    mark: str | None = None
    link: str = ""
    """Measured cells: the record's path inside the site."""
    reference: str = ""
    also: list[str] = field(default_factory=list)


@dataclass
class BoardRow:
    method: str
    setting: str
    source: str
    """``reported`` or ``measured``."""
    reportable: bool
    why_not: str
    references: list[str]
    cells: dict[tuple[str, str], BoardCell]
    """``(column key or AVERAGE, metric) -> cell``."""

    @property
    def label(self) -> str:
        return self.method + (f" ({self.setting})" if self.setting else "")


@dataclass
class Board:
    protocol: str
    columns: list[BoardColumn]
    metrics: list[str]
    rows: list[BoardRow]
    has_average: bool


def _columns(protocol: str) -> list[BoardColumn]:
    from harness.protocols.registry import PROTOCOLS

    if protocol not in PROTOCOLS:
        return []
    return [
        BoardColumn(
            leg.name,
            leg_title(protocol, leg.name),
            _dataset(leg.test.dataset),
            frozenset(_dataset(s.dataset) for s in leg.train),
            True,
            any({"query", "gallery"} & set(s.parts) for s in leg.train),
        )
        for leg in PROTOCOLS.get(protocol).legs
    ]


def _reported_title(name: str) -> str:
    """A reported dataset name as printed in the reported-numbers vocabulary (``CUHK03``): an
    unmatched column keeps the paper's own, less specific, name."""
    from harness.reported import DATASETS

    return DATASETS.get(name, name).split(" (")[0].split(",")[0]


def _target_fits(reported: str, leg_target: str) -> int:
    """2: the same dataset (through the registry's aliases); 1: the reported name is less specific
    (``cuhk03-np``, box type not stated, fits a leg on ``cuhk03-np-detected``); 0: no fit."""
    if reported == leg_target or _dataset(reported) == leg_target:
        return 2
    return 1 if "-" in reported and leg_target.startswith(reported + "-") else 0


def _column_for(entry: Entry, columns: list[BoardColumn]) -> BoardColumn:
    """The leg an entry belongs to (see the module doc); a new (appended) column when none fits.

    Training sets compare by dataset (``msmt17-merged`` is MSMT17 with its test splits, so it fits
    a leg whose source uses them); among several fitting legs the one whose use of test splits
    agrees wins, then the more specific target."""
    leg = entry.extra.get("leg")
    if leg:
        for col in columns:
            if col.is_leg and col.key == leg:
                return col
    merged = any(t.endswith("-merged") for t in entry.train)
    train = frozenset(_dataset(t.removesuffix("-merged")) for t in entry.train)
    fits = [
        (c.merged == merged, _target_fits(entry.target, c.target), c)
        for c in columns
        if c.is_leg and _target_fits(entry.target, c.target) and (not train or c.train == train)
    ]
    if fits:
        best = max(f[:2] for f in fits)
        chosen = [f[2] for f in fits if f[:2] == best]
        if len(chosen) == 1:
            return chosen[0]
    target = _dataset(entry.target)
    raw_train = frozenset(entry.train)
    key = f"{'+'.join(sorted(raw_train))}->{entry.target}" if raw_train else entry.target
    for col in columns:
        if col.key == key:
            return col
    sources = " + ".join(_reported_title(t) for t in sorted(raw_train))
    title = _reported_title(entry.target)
    if raw_train and raw_train != {entry.target}:
        title = f"{sources} \u2192 {title}"
    col = BoardColumn(key, title, target, train, False, merged)
    columns.append(col)
    return col


_VARIANT = re.compile(r"^(?P<base>[^\[]+?)(?:\[(?P<variant>[^\]]*)\])?$")


def canonical_method(label: str, spellings: dict[str, str]) -> str:
    """A measured method named as the papers spell it (``dtta[baseline]`` -> ``DTTA [baseline]``)."""
    from harness.reports.plots.style import method_key

    match = _VARIANT.match(label)
    base, variant = (match.group("base"), match.group("variant")) if match else (label, None)
    spelled = spellings.get(method_key(base), base)
    return spelled + (f" [{variant}]" if variant else "")


def _priority(entry: Entry) -> tuple:
    kind = entry.extra.get("kind", "comparison")
    return (_KIND_ORDER.get(kind, 9), entry.reference)


def build_board(protocol: str, entries: list[Entry]) -> Board:
    """The paper-style table of ``protocol`` from its leaderboard entries."""
    from harness.metrics.registry import METRICS
    from harness.reports.plots.style import method_key

    columns = _columns(protocol)
    spellings = {method_key(e.method): e.method for e in entries if e.source == "reported"}
    rows: dict[tuple, BoardRow] = {}
    ordered = sorted(entries, key=lambda e: (e.source != "reported", _priority(e)))
    for e in ordered:
        method = e.method if e.source == "reported" else canonical_method(e.method, spellings)
        key = (method, e.setting, e.source, e.reportable)
        row = rows.get(key)
        if row is None:
            row = rows[key] = BoardRow(method, e.setting, e.source, e.reportable, e.why_not, [], {})
        if e.reference not in row.references:
            row.references.append(e.reference)
        col = _column_for(e, columns)
        for metric in BOARD_METRICS:
            value = e.metrics.get(metric)
            if value is None:
                continue
            text = f"{value:.{metric_decimals(metric)}f}"
            if e.source == "measured" and metric in e.texts:
                text = e.texts[metric]  # ± half-width and */° marks (significance.annotate_entries)
            cell = row.cells.get((col.key, metric))
            if cell is None:
                row.cells[(col.key, metric)] = BoardCell(
                    value, text, link=e.record_path, reference=e.reference
                )
            elif cell.reference != e.reference:
                cell.also.append(f"{e.reference}: {text}")
    metrics = [m for m in BOARD_METRICS if any(k[1] == m for r in rows.values() for k in r.cells)]
    legs = [c for c in columns if c.is_leg]
    has_average = len(legs) > 1
    if has_average:
        for row in rows.values():
            for metric in metrics:
                values = [row.cells.get((c.key, metric)) for c in legs]
                if all(v is not None for v in values):
                    mean = sum(v.value for v in values) / len(values)  # type: ignore[union-attr, misc]
                    row.cells[(AVERAGE, metric)] = BoardCell(mean, f"{mean:.{metric_decimals(metric)}f}")
    used = {k[0] for r in rows.values() for k in r.cells}
    columns = [c for c in columns if c.key in used or c.is_leg]
    board = Board(protocol, columns, metrics, list(rows.values()), has_average)
    for col_key in [*(c.key for c in columns), *([AVERAGE] if has_average else [])]:
        for metric in metrics:
            higher = METRICS.get(metric).higher_is_better if metric in METRICS else True
            cells = [
                r.cells[(col_key, metric)]
                for r in board.rows
                if r.reportable and (col_key, metric) in r.cells
            ]
            parts = [Part(c.text, c.value) for c in cells]
            _mark(parts, bool(higher))
            for cell, part in zip(cells, parts, strict=True):
                cell.mark = part.mark
    board.rows.sort(key=lambda r: (-_sort_value(r, board), r.method.lower(), r.setting))
    return board


def _sort_value(row: BoardRow, board: Board) -> float:
    """Rows are printed by the average (else the first leg) of the first metric, best first."""
    metric = board.metrics[0] if board.metrics else "R1"
    for key in [AVERAGE, *(c.key for c in board.columns)]:
        cell = row.cells.get((key, metric))
        if cell is not None and cell.value is not None:
            return cell.value
    return float("-inf")
