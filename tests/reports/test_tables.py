"""Paper-style tables: every transcribed table renders; golden Markdown/LaTeX; marks; measured rows."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from harness.errors import RegistryError, ResultError
from harness.reports.build import build_table
from harness.reports.measured import load_measured
from harness.reports.names import resolve_table, table_names
from harness.reports.render import latex_escape, render
from tests.reports.records import make_record, write_records

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_CASES = [
    ("retext-t6", "md"),
    ("retext-t6", "latex"),
    ("dtta-t2", "md"),
    ("dtta-t2", "latex"),
    ("dgcmia-t2", "latex"),
    ("dgcmia-t3", "md"),
    ("dtta-t1", "md"),
]
REQUIRED = ["retext-t5", "retext-t6", "dtta-t2", "dmf-t2", "dgcmia-t1", "dgcmia-t2", "dgcmia-t3"]


def test_every_transcribed_table_is_named():
    names = [t.name for t in table_names()]
    assert set(REQUIRED) <= set(names)
    assert len(names) == 18 and len(set(names)) == len(names)


def test_resolve_accepts_spellings_and_suggests():
    assert resolve_table("retext/table6").name == "retext-t6"
    assert resolve_table("RETEXT-table6").name == "retext-t6"
    with pytest.raises(RegistryError, match="Did you mean 'retext-t6'"):
        resolve_table("retxt-t6")


@pytest.mark.parametrize("name", [t.name for t in table_names()])
def test_every_table_renders_in_every_format(name):
    table = build_table(name)
    n_rows = len(table.rows())
    for fmt in ("md", "latex", "csv", "html"):
        assert render(table, fmt).strip()
    rows = list(csv.reader(io.StringIO(render(table, "csv"))))
    assert len(rows) == n_rows + 1
    assert all(len(r) == len(rows[0]) for r in rows)


@pytest.mark.parametrize(("name", "fmt"), GOLDEN_CASES)
def test_golden(name, fmt):
    """Set HARNESS_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    text = render(build_table(name), fmt)
    path = GOLDEN / f"{name}.{fmt}"
    if os.environ.get("HARNESS_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"re-create {path} if the change is intended"


def test_best_bold_second_underlined_per_block():
    table = build_table("retext-t6")
    protocol2 = table.groups[0]
    r1 = [row.cells[0].parts[0] for row in protocol2.rows]  # C3 Rank1
    marks = {p.text: p.mark for p in r1}
    assert marks["65.6"] == "best" and marks["51.1"] == "second"
    assert sum(p.mark == "best" for p in r1) == 1
    md = render(table, "md")
    assert "**65.6**" in md and "<u>51.1</u>" in md
    latex = render(table, "latex")
    assert r"\textbf{65.6}" in latex and r"\underline{51.1}" in latex and r"\toprule" in latex


def test_lower_is_better_for_complexity_columns():
    table = build_table("dgcmia-t3")
    params = {row.label[0]: row.cells[0].parts[0] for row in table.rows()}
    best = min(p.value for p in params.values() if p.value is not None)
    assert all((p.mark == "best") == (p.value == best) for p in params.values() if p.value is not None)


def test_split_cells_are_ranked_per_part():
    table = build_table("dtta-t2")
    dtta = table.rows()[-1]
    assert dtta.label[0].startswith("DTTA")
    assert [p.mark for p in dtta.cells[0].parts] == ["best", "best"]


def test_latex_escape_keeps_math_and_maps_unicode():
    assert latex_escape("a_b & 50%") == r"a\_b \& 50\%"
    assert latex_escape("$MSMT17_{all}$") == "$MSMT17_{all}$"
    assert latex_escape("Δ → ✓") == r"$\Delta$ $\rightarrow$ \checkmark{}"


def _records(tmp_path: Path, **kw) -> Path:
    records = [
        make_record(
            "mine", "single", "market1501", target="market1501", metrics={"R1": 0.97, "mAP": 0.95}, **kw
        ),
        make_record(
            "mine", "single", "msmt17-rr", target="msmt17", metrics={"R1": 0.9, "mAP": 0.8}, rerank=True, **kw
        ),
    ]
    return write_records(tmp_path / "res", records)


def test_measured_row_beside_reported_with_delta(tmp_path):
    measured = load_measured(_records(tmp_path))
    table = build_table("dtta-t2", measured)
    rows = table.rows()
    kinds = [r.kind for r in rows]
    assert kinds[-2:] == ["measured", "delta"]  # next to DTTA, the paper's own method (the last row)
    mine = rows[-2]
    assert mine.label[0] == "mine (measured)"
    assert mine.cells[0].text == "95.0/—"  # Market mAP, single-model (x100, one decimal as printed)
    assert mine.cells[4].text == "—/80.0"  # MSMT17 mAP, re-ranking part
    assert mine.cells[0].parts[0].mark == "best"  # 95.0 beats DTTA's 94.3
    delta = rows[-1]
    assert delta.cells[0].parts[0].text == "+0.7"  # 95.0 - 94.3
    md = render(table, "md")
    assert "*mine (measured)*" in md and "Measured (this harness" in md
    assert str(tmp_path / "res") in md  # traceable to its record


def test_measured_row_average_and_group(tmp_path):
    records = [
        make_record("mine", "p2", f"to-{t}", target=t, train=train, metrics={"R1": r1, "mAP": 0.3})
        for t, train, r1 in [
            ("cuhk03-np", ["market1501", "msmt17", "cuhk-sysu"], 0.6),
            ("msmt17", ["market1501", "cuhk-sysu", "cuhk03-np"], 0.5),
            ("market1501", ["msmt17", "cuhk-sysu", "cuhk03-np"], 0.9),
        ]
    ]
    table = build_table("retext-t6", load_measured(write_records(tmp_path / "r", records)))
    p2, p3 = table.groups
    assert [r.kind for r in p3.rows].count("measured") == 0
    mine = next(r for r in p2.rows if r.kind == "measured")
    assert mine.cells[6].text == "66.7"  # Average Rank1 of 60, 50, 90
    assert p2.rows[p2.rows.index(mine) + 1].label[0] == "Δ vs ReText (reported)"


def test_nonreportable_refused_unless_asked(tmp_path):
    measured = load_measured(_records(tmp_path, synthetic=True))
    with pytest.raises(ResultError, match="--allow-nonreportable"):
        build_table("dtta-t2", measured)
    table = build_table("dtta-t2", measured, allow_nonreportable=True)
    mine = next(r for r in table.rows() if r.kind == "measured")
    assert mine.label[0].endswith("†") and not mine.reportable
    assert all(p.mark is None for c in mine.cells for p in c.parts)  # never ranked
    assert any("not reportable" in n for n in table.footnotes)


def test_measured_columns_for_method_column_tables(tmp_path):
    records = [
        make_record(
            "mine",
            "textmask",
            "cuhk-pedes",
            target="cuhk-pedes",
            metrics={"R1": 0.7 - r, "mAP": 0.6},
            mask_ratio=r,
        )
        for r in (0.1, 0.3)
    ]
    table = build_table("dgcmia-t2", load_measured(write_records(tmp_path / "r", records)))
    assert [c.header for c in table.columns[-2:]] == [("mine (measured)", "R1"), ("mine (measured)", "mAP")]
    first, third = table.rows()[0], table.rows()[2]
    assert first.cells[-2].text == "60.00" and third.cells[-2].text == "40.00"
    assert table.rows()[1].cells[-2].text == "—"
    # ranked per row among the R1 (or mAP) columns: 60.00 trails IRRA's 67.12 and DGCMIA's 67.21 ...
    assert first.cells[-2].parts[0].mark is None and first.cells[2].parts[0].mark == "best"
    # ... and 60.00 mAP beats both at mask ratio 0.3
    assert third.cells[-1].parts[0].mark == "best" and third.cells[3].parts[0].mark == "second"
