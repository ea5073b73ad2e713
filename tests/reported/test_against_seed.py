"""Every transcribed cell against the printed text of its row.

Each layout row keeps its seed line verbatim (``source_text``). Rebuilding a row's cells from the CSV
(values as stored, empty cells from the printed text in their notes) must give exactly the trailing
cells of that line. When the seed files are present (``HARNESS_SEEDS_DIR``, default
``/work/shared/seeds``) the stored lines are also compared with the seed files themselves.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.reported import list_tables, load_reported, paper_info, printed_cells, table_meta

TABLES = [tuple(x) for x in list_tables()[["paper", "table"]].to_numpy()]
SEEDS = Path(os.environ.get("HARNESS_SEEDS_DIR", "/work/shared/seeds"))


def seed_cells(line: str) -> list[str]:
    """Cells of a printed seed line: tab-separated when the extraction kept tabs, else OCR tokens."""
    line = re.sub(r"</?b>", "", line)
    parts = line.split("\t") if "\t" in line else re.split(r"[\s|(]+", line.strip())
    return [p.strip().rstrip("*%") for p in parts if p.strip()]


@pytest.mark.parametrize(("paper", "table"), TABLES)
def test_cells_equal_the_printed_row(paper: str, table: str) -> None:
    meta = table_meta(paper, table)
    for row, cells in zip(meta.layout.rows, printed_cells(paper, table), strict=True):
        present = [c for c in cells if c is not None]
        assert present, f"{paper}/{table} row {row.row} has no cells"
        assert seed_cells(row.source_text)[-len(present) :] == present, f"{paper}/{table} row {row.row}"


@pytest.mark.parametrize(("paper", "table"), TABLES)
def test_csv_lines_point_at_their_row(paper: str, table: str) -> None:
    meta = table_meta(paper, table)
    frame = load_reported(paper, table)
    by_row = {r.row: r.source_line for r in meta.layout.rows}
    assert (frame.row.map(by_row) == frame.source_line).all()
    first, last = meta.source_lines
    assert frame.source_line.between(first, last).all()


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not present at {SEEDS} (set HARNESS_SEEDS_DIR)")
@pytest.mark.parametrize(("paper", "table"), TABLES)
def test_stored_rows_are_the_seed_lines(paper: str, table: str) -> None:
    lines = (SEEDS / paper_info(paper).seed_file).read_text(encoding="utf-8").split("\n")
    for row in table_meta(paper, table).layout.rows:
        assert lines[row.source_line - 1] == row.source_text, f"{paper}/{table} row {row.row}"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not present at {SEEDS} (set HARNESS_SEEDS_DIR)")
def test_every_value_occurs_near_its_method_in_the_seed() -> None:
    frame = load_reported()
    for paper, group in frame.groupby("paper"):
        lines = (SEEDS / paper_info(str(paper)).seed_file).read_text(encoding="utf-8").split("\n")
        for rec in group.itertuples():
            line = lines[rec.source_line - 1]
            if rec.status == "reported":
                assert re.search(rf"(?<![\d.]){re.escape(rec.value_text)}(?![\d])", line), rec
            else:
                assert re.search(r'"(.*?)"', rec.note).group(1) in line, rec


def test_unreadable_cells_keep_their_raw_text() -> None:
    frame = load_reported()
    bad = frame[frame.status == "unreadable"]
    assert len(bad) == 11 and set(bad.paper + "/" + bad.table) == {"dtta/table2"}
    raw = bad.note.str.extract(r'^unreadable: "(.+?)"')[0]
    assert raw.notna().all()
    assert sorted(raw) == sorted(["7.0", "945", "B", "795", "395", "B", "B", "694", "326", "718", "845"])
    assert set(bad.method) == {"CAL", "TransReID", "DiP", "PHA"}
