"""A protocol's leaderboard as the papers print it: one row per method (and setting), reported and
measured; one column group per leg (R1, mAP), then the average over the protocol's legs.

- **Columns** are the protocol's legs from the protocol registry, titled ``sources -> target``, in
  registry order; a leg no row has a value for is left out. A reported entry goes to the leg of its
  cell identity (:func:`harness.reported.cells.cell_identity`: ``msmt17[all]``,
  ``cuhk03-np-labeled|cuhk03-np-detected`` resolved through the registries), a measured entry to
  its record's leg; an entry that fits no leg gets a column of its own, titled with
  :func:`harness.reported.vocabulary.reference_label`.
- **Intervals**: a measured value prints ``± half-width`` of its 95% bootstrap interval
  (``Entry.ci``) and its paired-significance mark (``*`` / ``°``, ``Entry.marks``).
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


@dataclass
class BoardCell:
    value: float | None = None
    text: str = ""
    mark: str | None = None
    link: str = ""
    """Measured cells: the record's path inside the site."""
    reference: str = ""
    also: list[str] = field(default_factory=list)
    half_width: float | None = None
    """Measured cells: half the width of the 95% bootstrap interval (``Entry.ci``)."""
    sig: str = ""
    """Measured cells: the paired-significance mark (``*`` / ``°``, ``Entry.marks``)."""
    decimals: int = 2

    @property
    def display(self) -> str:
        """``text``, then ``± half-width`` and the significance mark where the cell has them."""
        ci = f" \u00b1 {self.half_width:.{self.decimals}f}" if self.half_width is not None else ""
        return f"{self.text}{ci}{self.sig}"


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
        )
        for leg in PROTOCOLS.get(protocol).legs
    ]


def _reported_title(token: str) -> str:
    """A reported dataset reference as the reported-numbers vocabulary displays it
    (:func:`harness.reported.vocabulary.reference_label`); a name it does not know is kept."""
    from harness.errors import ResultError
    from harness.reported.vocabulary import reference_label

    try:
        return reference_label(token)
    except ResultError:
        return token


def _target_fits(measured: str, leg_target: str) -> bool:
    return measured == leg_target or _dataset(measured) == leg_target


def _column_for(entry: Entry, columns: list[BoardColumn]) -> BoardColumn:
    """The leg an entry belongs to (see the module doc); a new (appended) column when none fits.

    Reported entries carry the leg of their cell identity (:func:`harness.reported.cells.cell_identity`,
    set by :func:`~harness.reports.leaderboard.entries.reported_entries`); measured entries their
    record's leg. A measured entry whose leg is not one of the protocol's is placed by its (registry)
    training sets and target when exactly one leg has them; anything else gets a column of its own."""
    leg = entry.extra.get("leg")
    if leg:
        for col in columns:
            if col.is_leg and col.key == leg:
                return col
    train = frozenset(_dataset(t) for t in entry.train)
    if entry.source == "measured":
        fits = [
            c
            for c in columns
            if c.is_leg and _target_fits(entry.target, c.target) and (not train or c.train == train)
        ]
        if len(fits) == 1:
            return fits[0]
    raw_train = tuple(sorted(entry.train))
    key = f"{'+'.join(raw_train)}->{entry.target}" if raw_train else entry.target
    for col in columns:
        if col.key == key:
            return col
    title = _reported_title(entry.target)
    if raw_train and raw_train != (entry.target,):
        title = f"{' + '.join(_reported_title(t) for t in raw_train)} \u2192 {title}"
    col = BoardColumn(key, title, _dataset(entry.target), train, False)
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
            decimals = metric_decimals(metric)
            text = f"{value:.{decimals}f}"
            cell = row.cells.get((col.key, metric))
            if cell is None:
                bounds = e.ci.get(metric)
                row.cells[(col.key, metric)] = BoardCell(
                    value,
                    text,
                    link=e.record_path,
                    reference=e.reference,
                    half_width=(bounds[1] - bounds[0]) / 2 if bounds is not None else None,
                    sig=e.marks.get(metric, ""),
                    decimals=decimals,
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
    # the column groups: the protocol's legs (and unmatched columns) that hold a value; all the
    # registered legs when none does (cross has 18 legs, most papers print a few)
    columns = [c for c in columns if c.key in used] or [c for c in columns if c.is_leg]
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
