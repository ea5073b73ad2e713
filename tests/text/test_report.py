"""Text results through the one reporting stack: the long measured frame (explicit units), the
`harness text report` alias of `harness report`, and the text-mask plot (atomic writes)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.errors import ProtocolError
from harness.protocols.spec import load_protocol_file
from harness.reports.frame import COLUMNS, measured_frame
from harness.reports.measured import load_measured
from harness.reports.plots.textmask import measured_textmask
from harness.results import read_records


@pytest.fixture(scope="module")
def textmask_out(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real ``textmask`` (one leg) and ``t2i`` records of attr-match on the tiny world."""
    from harness.runner import RunOptions, run_protocol

    out = tmp_path_factory.mktemp("text-report")
    options = RunOptions(data_root=tiny_world, out_dir=out, device="cpu", cache_dir=out / ".cache")
    run_protocol("textmask", "attr-match", options, legs=["rstpreid"])
    run_protocol("t2i", "attr-match", options, legs=["rstpreid"])
    return out


def test_one_long_frame_with_explicit_units(textmask_out: Path) -> None:
    frame = measured_frame(load_measured(textmask_out))
    assert tuple(frame.columns) == COLUMNS
    assert set(frame["unit"]) == {"%"} and set(frame["kind"]) == {"text"}
    records = {str(f.key): f.record for f in read_records(textmask_out)}
    masked = records["attr-match/textmask/rstpreid+mask0.3"]
    row = frame[(frame["settings"] == "mask0.3") & (frame["metric"] == "R1")].iloc[0]
    assert row["value"] == pytest.approx(100 * masked.metrics["R1"])  # percent, never a fraction
    assert row["std"] == pytest.approx(100 * masked.metrics_std["R1"]) and row["mask_ratio"] == 0.3
    plain = frame[(frame["protocol"] == "t2i") & (frame["metric"] == "mAP")].iloc[0]
    assert math.isnan(plain["mask_ratio"]) and math.isnan(plain["std"]) and plain["settings"] == ""
    assert plain["value"] == pytest.approx(100 * records["attr-match/t2i/rstpreid"].metrics["mAP"])


def test_text_mask_plot_frame_comes_from_the_typed_setting(textmask_out: Path) -> None:
    frame = measured_textmask(load_measured(textmask_out))
    assert sorted(frame["ratio"].unique()) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert set(frame["metric"]) == {"R1", "mAP"} and set(frame["unit"]) == {"%"}
    assert set(frame["source"]) == {"measured"} and (frame["value"] > 1).all()


def test_text_report_is_an_alias_of_report(textmask_out: Path, tmp_path: Path, cli) -> None:
    args = ["--with-measured", str(textmask_out), "--allow-nonreportable"]
    report = cli.invoke(app, ["report", "--table", "dgcmia-t2", *args])
    assert report.exit_code == 0, report.output
    plot = tmp_path / "plots" / "curve.png"
    alias = cli.invoke(
        app, ["text", "report", "--results", str(textmask_out), "--allow-nonreportable", "--plot", str(plot)]
    )
    assert alias.exit_code == 0, alias.output
    assert report.stdout in alias.stdout and "attr-match (measured)" in alias.stdout
    for suffix in (".png", ".svg"):  # written by the one plot path (harness.atomic, no temporary left)
        assert (tmp_path / "plots" / f"curve{suffix}").is_file()
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["curve.png", "curve.svg"]
    csv = cli.invoke(
        app, ["text", "report", "--results", str(textmask_out), "--format", "csv", "--allow-nonreportable"]
    )
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].count(",") > 3
    refused = cli.invoke(app, ["text", "report", "--results", str(textmask_out)])
    assert refused.exit_code == 2 and "--allow-nonreportable" in refused.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{mask_ratios: [0.0, 1.0]}", r"must lie in \[0, 1\)"),
        ("{mask_ratios: [0.1, 0.1]}", "repeated values"),
        ("{strategy: blank}", "text.strategy"),
        ("{repeats: 0}", "text.repeats"),
    ],
)
def test_text_block_is_validated(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\ntitle: t\nevaluation: {junk: none}\n"
        f"text: {text}\n"
        "legs:\n  - name: a\n"
        "    test: {dataset: rstpreid, query: test, gallery: test, query_modality: text}\n"
    )
    with pytest.raises(ProtocolError, match=message):
        load_protocol_file(path)


def test_text_block_needs_a_text_leg(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\ntitle: t\ntext: {mask_ratios: [0.1]}\n"
        "legs:\n  - name: a\n    test: {dataset: market1501}\n"
    )
    with pytest.raises(ProtocolError, match="needs at least one leg with query_modality: text"):
        load_protocol_file(path)
