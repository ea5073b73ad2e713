"""The 18 paper tables filled from real `harness run` records (no hand-made record).

For each table, the runs that feed it come from the session fixture ``paper_runs`` (conftest). The
expected placement is written out here, per table, by hand: which measured row (block, class tag),
which column, which record (settings folder, protocol, leg). Each fillable cell must hold exactly
that record's value, every other cell of a measured row must be empty (or a computed Average), each
measured row must cite exactly the records expected, and the same values must appear in the md,
LaTeX, CSV and HTML output of ``harness report``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.reports.build import build_table
from harness.reports.measured import load_measured
from harness.reports.names import table_names
from tests.reports.conftest import IMAGE_METHOD as H
from tests.reports.conftest import TEXT_METHOD as A
from tests.reports.conftest import PaperRuns

METRIC_OF_HEADER = {
    "Rank1": "R1",
    "Rank-1": "R1",
    "R1": "R1",
    "R (%)": "R1",
    "mAP": "mAP",
    "mAP (%)": "mAP",
    "Parameters (M)": "params_M",
    "FLOPs (G)": "gflops",
    "Inference Time (s)": "inference_time",
}


@dataclass
class Row:
    """One expected measured row: its block, the tag after ``(measured`` and its column -> run(s)."""

    group: str | None
    method: str
    tag: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    """header level 0 -> per part: the record's "protocol/leg[+settings]"."""


C3, M, MS = "CUHK03-NP", "Market-1501", "MSMT17"


def _t2i_rows() -> list[Row]:
    sets = {"CUHK-PEDES": "cuhk-pedes", "ICFG-PEDES": "icfg-pedes", "RSTPReid": "rstpreid"}
    rows = []
    for train_label, train in sets.items():
        cols = {}
        for test_label, test in sets.items():
            run = f"t2i/{train}" if test == train else f"t2i-cross/{train}_to_{test}"
            cols[f"Test on {test_label}"] = [run]
        rows.append(Row(None, A, f"train {train_label}", cols))
    return rows


def _dtta_rows(with_rerank: bool) -> list[Row]:
    rows = []
    for protocol in ("single", "jmcm"):
        cols = {}
        for header, leg in ((M, "market1501"), ("CUHK03-labeled", "cuhk03-labeled"), (MS, "msmt17")):
            parts = [f"{protocol}/{leg}"]
            if with_rerank:
                parts.append(f"{protocol}/{leg}+rerank")
            cols[header] = parts
        rows.append(Row(None, H, protocol, cols))
    return rows


def _cross_block(group: str, src: str, c3: str, m: str, ms: str | None, c3_header: str) -> Row:
    cols = {c3_header: [c3], M: [m]}
    if ms:
        cols[MS] = [ms]
    return Row(group, H, "", cols)


def _cross_rows(c3_header: str, groups: tuple[str, str, str, str]) -> list[Row]:
    g_m, g_ms, g_all, g_rp = groups
    return [
        _cross_block(g_m, "M", "cross/M-C3", "single/market1501", "cross/M-MS", c3_header),
        _cross_block(g_ms, "MS", "cross/MS-C3", "cross/MS-M", "single/msmt17", c3_header),
        _cross_block(g_all, "MSall", "cross/MSall-C3", "cross/MSall-M", None, c3_header),
        _cross_block(g_rp, "RP", "cross/RP-C3", "cross/RP-M", "cross/RP-MS", c3_header),
    ]


def _ms_c3_only() -> list[Row]:
    return [Row(None, H, "", {C3: ["cross/MS-C3"]})]


EXPECTED: dict[str, list[Row]] = {
    "dgcmia-t1": _t2i_rows(),
    "dgcmia-t3": [
        Row(
            None,
            A,
            "",
            {
                h: ["t2i/cuhk-pedes"]
                for h in ("Parameters (M)", "FLOPs (G)", "Inference Time (s)", "R (%)", "mAP (%)")
            },
        )
    ],
    "dmf-t1": [
        Row(
            None,
            H,
            "",
            {M: ["cross/D-M"], "CUHK03": ["cross/D-C3"], MS: ["cross/D-MS"]},
        )
    ],
    "dmf-t2": _cross_rows("CUHK03", ("Market-1501", "MSMT17", "$MSMT17_{all}$", "RandPerson")),
    "dtta-t1": [],
    "dtta-t2": _dtta_rows(with_rerank=True),
    "dtta-t3": _dtta_rows(with_rerank=False),
    "retext-t2": [
        Row(None, H, "train MSMT17", {C3: ["cross/MS-C3"], M: ["cross/MS-M"]}),
        Row(None, H, "train SYNTH-PEDES", {C3: ["cross/SP-C3"], M: ["cross/SP-M"]}),
        Row(
            None,
            H,
            "train MSMT17 + SYNTH-PEDES",
            {C3: ["cross/MS+SP-C3"], M: ["cross/MS+SP-M"]},
        ),
    ],
    "retext-t3": _ms_c3_only(),
    "retext-t4": _ms_c3_only(),
    "retext-t5": _cross_rows(C3, ("Market-1501", "MSMT17", "MSMT17-merged", "RandPerson")),
    "retext-t6": [
        Row(
            f"Protocol {n}",
            H,
            "",
            {
                "M+MS+CS → C3": [f"p{n}/C3"],
                "M+CS+C3 → MS": [f"p{n}/MS"],
                "MS+CS+C3 → M": [f"p{n}/M"],
            },
        )
        for n in (2, 3)
    ],
    "retext-t7": [Row(None, H, "", {C3: ["cross/MS-C3"], M: ["cross/MS-M"]})],
    "retext-t8": _ms_c3_only(),
    "retext-t9": _ms_c3_only(),
    "retext-t10": _ms_c3_only(),
    "retext-t11": _ms_c3_only(),
}
"""dgcmia-t2 (columns are methods) is tested on its own below."""


def _expected_value(runs: PaperRuns, method: str, run: str, metric: str) -> tuple[float, str]:
    """The value a cell must hold (table units) and the record's path relative to the results root."""
    protocol, leg = run.split("/", 1)
    path = runs.record(method, protocol, leg)
    record = json.loads(path.read_text())
    cost = record.get("cost") or {}
    if metric == "params_M":
        value = cost["params"]["total"] / 1e6
    elif metric == "gflops":
        # the paper counts multiply-adds (docs/text-to-image.md), the profiler 2 FLOPs per multiply-add
        value = (cost["flops_per_image"]["flops"] + cost["flops_per_text"]["flops"]) * 0.5e-9
    elif metric == "inference_time":
        counts = record["counts"]
        value = counts["n_gallery"] / cost["throughput_image"]["items_per_s"]
        value += counts["n_query"] / cost["throughput_text"]["items_per_s"]
    else:
        value = 100 * record["metrics"][metric]
    return value, path.relative_to(runs.root).as_posix()


def _measured_rows(table):
    return [(g.label, r) for g in table.groups for r in g.rows if r.kind == "measured"]


def _label_of(row: Row) -> str:
    tag = f", {row.tag}" if row.tag else ""
    return f"{row.method} (measured{tag})†"


def test_every_table_has_an_expectation() -> None:
    assert set(EXPECTED) | {"dgcmia-t2"} == {t.name for t in table_names()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_measured_cells_hold_their_record(name: str, paper_runs: PaperRuns) -> None:
    table = build_table(name, load_measured(paper_runs.root), allow_nonreportable=True)
    got = _measured_rows(table)
    expected = EXPECTED[name]
    assert [(g, r.label[0]) for g, r in got] == [(e.group, _label_of(e)) for e in expected]
    for (_, row), want in zip(got, expected, strict=True):
        sources = set()
        averages: dict[str, list[float]] = {}
        for j, col in enumerate(table.columns):
            cell = row.cells[j]
            runs = want.columns.get(col.header[0])
            metric = METRIC_OF_HEADER.get(col.header[-1])
            if col.header[0] == "Average":
                continue
            if runs is None:
                assert cell.text == "—", (name, col.header, cell.text)
                continue
            assert len(cell.parts) == len(runs), (name, col.header)
            for part, run in zip(cell.parts, runs, strict=True):
                value, source = _expected_value(paper_runs, want.method, run, metric)
                assert part.value == value, (name, col.header, run, part.value, value)
                sources.add(source)
            averages.setdefault(metric, []).append(cell.parts[0].value)
        assert set(row.sources) == sources, name
        for j, col in enumerate(table.columns):
            if col.header[0] == "Average":
                members = averages[METRIC_OF_HEADER[col.header[-1]]]
                assert row.cells[j].parts[0].value == pytest.approx(sum(members) / len(members))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_format_prints_the_measured_cells(name: str, paper_runs: PaperRuns, cli) -> None:
    table = build_table(name, load_measured(paper_runs.root), allow_nonreportable=True)
    rows = _measured_rows(table)
    outputs = {}
    for fmt in ("md", "latex", "csv", "html"):
        args = [
            "report",
            "-t",
            name,
            "-f",
            fmt,
            "--with-measured",
            str(paper_runs.root),
            "--allow-nonreportable",
        ]
        result = cli.invoke(app, args)
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.stdout
    printed = [r for r in csv.reader(io.StringIO(outputs["csv"])) if len(r) > 1 and r[1] == "measured"]
    assert len(printed) == len(rows)
    md_lines = [x for x in outputs["md"].splitlines() if x.startswith("|") and "(measured" in x]
    assert len(md_lines) == len(rows)
    for line, md_line, (_, row) in zip(printed, md_lines, rows, strict=True):
        width = len(table.row_header)
        assert line[2 : 2 + width] == list(row.label)
        assert line[2 + width : 2 + width + len(row.cells)] == [c.text for c in row.cells]
        md_cells = [c.strip() for c in md_line.strip("|").split("|")][width:]
        assert md_cells == [c.text for c in row.cells], (md_cells, row.cells)
        for cell in row.cells:
            for part in (p for p in cell.parts if p.value is not None):
                assert part.text in outputs["latex"]
                assert part.text in outputs["html"]
    for fmt in ("md", "latex"):
        assert (
            str(paper_runs.root) not in outputs[fmt]
        )  # footnotes name records relative to the results folder


def test_dgcmia_t2_measured_columns_hold_each_mask_ratio(paper_runs: PaperRuns) -> None:
    table = build_table("dgcmia-t2", load_measured(paper_runs.root), allow_nonreportable=True)
    added = [(j, c) for j, c in enumerate(table.columns) if c.measured_method]
    assert [(c.header, c.metric) for _, c in added] == [
        (("attr-match (measured)†", "R1"), "R1"),
        (("attr-match (measured)†", "mAP"), "mAP"),
    ]
    legs = {"CUHK-PEDES": "cuhk-pedes", "ICFG-PEDES": "icfg-pedes", "RSTPReid": "rstpreid"}
    for group in table.groups:
        for row in group.rows:
            ratio = row.label[-1]
            run = f"textmask/{legs[group.label or row.label[0]]}+mask{float(ratio):g}"
            for j, col in added:
                value, _ = _expected_value(paper_runs, A, run, col.metric)
                assert row.cells[j].parts[0].value == value, (run, col.metric)


def test_records_that_fill_no_cell_say_why(paper_runs: PaperRuns) -> None:
    table = build_table("dtta-t2", load_measured(paper_runs.root), allow_nonreportable=True)
    aqe = next(line for line in table.unplaced if "market1501+aqe.json" in line)
    assert "settings.aqe: record 1,5,3, cell wants off" in aqe
    k10 = next(line for line in table.unplaced if "msmt17+rerank-10-6-0.3.json" in line)
    assert "settings.rerank: record 10,6,0.3, cell wants" in k10
    # records of protocols the table does not use are counted on one line, not one line each
    [others] = [line for line in table.unplaced if "records of protocols this table does not use" in line]
    assert "p2: " in others and "harness report --fillable" in others
    assert not any("hsv-hist p2/M " in line for line in table.unplaced)


def test_no_record_lands_in_another_settings_cell(paper_runs: PaperRuns) -> None:
    """One results folder holds plain, re-ranked, AQE and k1=10 records of the same legs: each
    part shows its own record, and the AQE / k1=10 records fill nothing."""
    table = build_table("dtta-t2", load_measured(paper_runs.root), allow_nonreportable=True)
    [(_, single), (_, jmcm)] = _measured_rows(table)
    assert all("aqe" not in s and "rerank-10" not in s for s in single.sources + jmcm.sources)
    assert sorted(single.sources) == [
        "hsv-hist/single/cuhk03-labeled+rerank.json",
        "hsv-hist/single/cuhk03-labeled.json",
        "hsv-hist/single/market1501+rerank.json",
        "hsv-hist/single/market1501.json",
        "hsv-hist/single/msmt17+rerank.json",
        "hsv-hist/single/msmt17.json",
    ]


def test_measured_inference_time_says_what_it_was_measured_on(paper_runs: PaperRuns) -> None:
    table = build_table("dgcmia-t3", load_measured(paper_runs.root), allow_nonreportable=True)
    assert any(n.startswith("Measured inference time: each record's own test set") for n in table.footnotes)
    other = build_table("dtta-t2", load_measured(paper_runs.root), allow_nonreportable=True)
    assert not any(n.startswith("Measured inference time") for n in other.footnotes)  # no time column


def test_cost_cells_left_empty_say_how_to_fill_them(paper_runs: PaperRuns, tmp_path: Path) -> None:
    import shutil

    hint = "harness run ... --profile fills them"
    table = build_table("dgcmia-t3", load_measured(paper_runs.root), allow_nonreportable=True)
    assert not any(hint in n for n in table.footnotes)  # every measured row there was profiled
    root = tmp_path / "runs"
    shutil.copytree(paper_runs.root, root)
    for path in root.rglob("*.json"):  # the same records without their cost block
        raw = json.loads(path.read_text())
        if raw.get("cost"):
            raw["cost"] = None
            path.write_text(json.dumps(raw))
    table = build_table("dgcmia-t3", load_measured(root), allow_nonreportable=True)
    assert any(hint in n for n in table.footnotes)
