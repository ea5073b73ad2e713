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
            "mine", "single", "msmt17", target="msmt17", metrics={"R1": 0.9, "mAP": 0.8}, rerank=True, **kw
        ),
    ]
    return write_records(tmp_path / "res", records)


def test_measured_row_beside_reported_with_delta(tmp_path):
    """Fabricated records beside the real-run tests (tests/reports/test_paper_tables_e2e.py)."""
    measured = load_measured(_records(tmp_path))
    table = build_table("dtta-t2", measured)
    rows = table.rows()
    kinds = [r.kind for r in rows]
    at = kinds.index("measured")
    assert rows[at - 1].method.startswith("SOLIDER")  # after the last single-dataset row, before DTTA (JMCM)
    assert kinds[at + 1] == "reported" and rows[at + 1].method.startswith(
        "DTTA"
    )  # no delta: no same-setting row
    mine = rows[at]
    assert mine.label[0] == "mine (measured, single)"
    assert mine.cells[0].text == "95.0/—"  # Market mAP, single-model (x100, one decimal as printed)
    assert mine.cells[4].text == "—/80.0"  # MSMT17 mAP, re-ranking part
    assert mine.cells[0].parts[0].mark == "best"  # 95.0 beats DTTA's 94.3
    md = render(table, "md")
    assert "*mine (measured, single)*" in md and "Measured (this harness" in md
    assert "mine/single/market1501.json" in md and str(tmp_path) not in md  # relative to the results folder


def test_measured_row_average_and_group(tmp_path):
    records = [
        make_record("mine", "p2", leg, target=t, train=train, metrics={"R1": r1, "mAP": 0.3})
        for leg, t, train, r1 in [
            ("C3", "cuhk03-np-labeled", ["market1501", "msmt17", "cuhksysu"], 0.6),
            ("MS", "msmt17", ["market1501", "cuhksysu", "cuhk03-np-labeled"], 0.5),
            ("M", "market1501", ["msmt17", "cuhksysu", "cuhk03-np-labeled"], 0.9),
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


def test_docs_list_the_fillability_of_every_table():
    """docs/reports.md holds the current output of `harness report --fillable`."""
    from pathlib import Path

    from harness.reports.fillability import fillability_markdown

    docs = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    section = docs.split("<!-- fillability:start -->\n", 1)[1].split("<!-- fillability:end -->", 1)[0]
    assert section == fillability_markdown(), "re-paste `harness report --fillable` into docs/reports.md"


def test_report_fillable_honours_table_and_format():
    import csv
    import io

    from typer.testing import CliRunner

    from harness.cli.app import app
    from harness.reports.fillability import fillability_markdown

    cli = CliRunner()
    full = cli.invoke(app, ["report", "--fillable"])
    assert full.exit_code == 0 and full.stdout == fillability_markdown()  # the default is unchanged
    one = cli.invoke(app, ["report", "--fillable", "--table", "retext-t6"])
    assert one.exit_code == 0, one.output
    rows = [line for line in one.stdout.splitlines() if line.startswith("| `")]
    assert len(rows) == 1 and rows[0].startswith("| `retext-t6` ") and rows[0] in full.stdout
    as_csv = cli.invoke(app, ["report", "--fillable", "--table", "retext-t6", "--format", "csv"])
    records = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["table"] for r in records] == ["retext-t6"] and int(records[0]["fillable"]) > 0
    every = list(csv.DictReader(io.StringIO(cli.invoke(app, ["report", "--fillable", "-f", "csv"]).stdout)))
    assert len(every) == full.stdout.count("\n| `")
    assert cli.invoke(app, ["report", "--fillable", "--table", "nope"]).exit_code == 2
    assert cli.invoke(app, ["report", "--fillable", "--format", "latex"]).exit_code == 2
