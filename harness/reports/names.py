"""Named paper tables: ``<paper>-t<N>`` for every transcribed table (``retext-t6`` is ReText Table 6)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.errors import RegistryError
from harness.registry import suggest
from harness.reported import list_tables

_TABLE_ID = re.compile(r"^table(\w+)$")


@dataclass(frozen=True)
class TableName:
    """A report table's name and the reported table it draws (paper id, CSV stem)."""

    name: str
    paper: str
    table: str
    label: str
    caption: str
    kind: str


def _short(table: str) -> str:
    match = _TABLE_ID.match(table)
    return f"t{match.group(1)}" if match else table


def _number(name: str) -> tuple[str, int, str]:
    paper, _, rest = name.partition("-")
    digits = re.sub(r"\D", "", rest)
    return (paper, int(digits) if digits else 0, rest)


def table_names() -> list[TableName]:
    """Every available table, sorted by paper then table number."""
    frame = list_tables()
    names = [
        TableName(f"{r.paper}-{_short(r.table)}", r.paper, r.table, r.label, r.caption, r.kind)
        for r in frame.itertuples()
    ]
    return sorted(names, key=lambda t: _number(t.name))


def resolve_table(name: str) -> TableName:
    """The table called ``name``: ``retext-t6``, ``retext/table6`` or ``retext-table6``."""
    wanted = name.strip().lower().replace("/", "-").replace("-table", "-t")
    known = table_names()
    for t in known:
        if t.name == wanted:
            return t
    names = [t.name for t in known]
    raise RegistryError(f"unknown table {name!r}.{suggest(wanted, names)} Known: {', '.join(names)}")
