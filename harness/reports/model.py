"""The table model every renderer draws: header levels, row groups, rows of cells with best/second marks.

A cell holds one or more *parts* (``a/b`` cells such as DTTA's single-model / re-ranking pairs print
two). Marks are ``"best"`` (bold) and ``"second"`` (underlined), computed per part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mark = Literal["best", "second"] | None
RowKind = Literal["reported", "measured", "delta"]


@dataclass
class Part:
    """One printed number (or placeholder such as ``—``) and its rank mark."""

    text: str
    value: float | None = None
    mark: Mark = None
    source: str | None = None
    """Result-record path of a measured number (None for reported or derived numbers)."""
    metric: str | None = None
    """The record metric of a measured number."""


@dataclass
class Cell:
    """One table cell: its parts, printed joined by ``/``."""

    parts: list[Part] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "/".join(p.text for p in self.parts)

    @property
    def empty(self) -> bool:
        return not self.parts


@dataclass
class Column:
    """A value column: header levels (top to bottom), metric, and whether higher values rank first."""

    header: tuple[str, ...]
    metric: str | None = None
    higher_is_better: bool | None = None
    measured_method: str | None = None
    """Set for a column added for a measured method (tables whose columns are methods)."""
    reportable: bool = True
    """False for a measured column from random-init weights or synthetic data (never ranked)."""


@dataclass
class Row:
    """One table row: row-header cells, value cells (one per column), and where it comes from."""

    label: tuple[str, ...]
    cells: list[Cell]
    kind: RowKind = "reported"
    method: str = ""
    reportable: bool = True
    sources: tuple[str, ...] = ()
    """Result-record paths of a measured row (empty for reported rows)."""
    note: str = ""


@dataclass
class Group:
    """A block of rows under one label (training set, protocol, dataset), or ``None`` for no label."""

    label: str | None
    rows: list[Row] = field(default_factory=list)
    show_label: bool = True
    """False when the label is already printed in the rows' header cells."""


@dataclass
class PaperTable:
    """A whole table: identity, captions, headers, groups, and footnotes naming every source."""

    name: str
    title: str
    caption: str
    row_header: tuple[str, ...]
    columns: list[Column]
    groups: list[Group]
    footnotes: list[str] = field(default_factory=list)
    rank_by: Literal["column", "row", "none"] = "column"

    @property
    def header_depth(self) -> int:
        return max((len(c.header) for c in self.columns), default=1)

    def rows(self) -> list[Row]:
        return [r for g in self.groups for r in g.rows]
