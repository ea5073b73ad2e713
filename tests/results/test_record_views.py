"""What users see of per-query outcomes and intervals: ``harness run`` output and ``plot ranked``."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from harness.cli.app import app
from harness.results import read_record
from tests.results.conftest import record_file


def test_run_prints_interval_next_to_each_metric(cli, tiny_world: Path, tmp_path: Path) -> None:
    args = ["run", "-p", "p2", "-m", "hsv-hist", "--leg", "MS", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--out", str(tmp_path), "--no-progress", "--no-cache"])
    assert result.exit_code == 0, result.output
    record = read_record(tmp_path / "hsv-hist" / "p2" / "MS.json")
    iv = record.intervals.metrics["mAP"]
    line = next(line for line in result.output.splitlines() if line.startswith("MS: 95% interval"))
    assert line.startswith("MS: 95% interval (percentile bootstrap over queries): R1 ")
    assert f"mAP {100 * iv.low:.2f}-{100 * iv.high:.2f}" in line


def test_plot_ranked_reads_the_record(cli, two_methods: Path, tmp_path: Path) -> None:
    record = two_methods / "hsv-hist" / "p1" / "grid.json"
    args = ["plot", "ranked", "--record", str(record), "--trial", "3", "--topk", "4", "--out", str(tmp_path)]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ranked.png").stat().st_size > 0 and (tmp_path / "ranked.svg").is_file()
    both = cli.invoke(app, ["plot", "ranked", "--record", str(record), "--input", "x.npz"])
    assert both.exit_code == 2 and "exactly one of --input" in both.output
    bad = cli.invoke(
        app, ["plot", "ranked", "--record", str(record), "--trial", "42", "--out", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "no queries for trial 42" in bad.output


def test_plot_cmc_bands_from_records(cli, two_methods: Path, tmp_path: Path) -> None:
    from harness.results.per_query import cmc_band, read_per_query

    args = ["plot", "cmc", "--results", str(two_methods), "-p", "p2", "--leg", "M", "--max-rank", "10"]
    result = cli.invoke(app, [*args, "--bands", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cmc.png").is_file()
    record = two_methods / "hsv-hist" / "p2" / "M.json"
    low, high = cmc_band(read_per_query(record), 10)
    cmc = read_record(record).cmc
    assert all(lo <= c + 1e-12 and c <= hi + 1e-12 for lo, c, hi in zip(low, cmc, high, strict=True))
    assert all(a <= b for a, b in itertools.pairwise(low))  # bands of a CMC rise with rank


def test_report_ci_shows_intervals_and_paired_marks(cli, tiny_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    for method in ("hsv-hist", "attr-match"):
        args = ["run", "-p", "single", "-m", method, "--leg", "market1501", "--data-root", str(tiny_world)]
        # the protocol's convention for both, so that both records match the table's cells
        result = cli.invoke(
            app, [*args, "--convention", "common", "--out", str(out), "--no-progress", "--no-cache"]
        )
        assert result.exit_code == 0, result.output
    args = ["report", "-t", "dtta-t2", "--with-measured", str(out), "--allow-nonreportable"]
    plain = cli.invoke(app, args)
    assert plain.exit_code == 0 and " ± " not in plain.output
    shown = cli.invoke(app, [*args, "--ci"])
    assert shown.exit_code == 0, shown.output
    # a measured row is labelled by its identity (``*hsv-hist (measured, single)†*``, docs/reports.md):
    # key the rows by the method at the head of the label, whatever follows "(measured"
    labels = {line.split("|")[1].strip(): line for line in shown.output.splitlines() if "(measured" in line}
    rows = {re.match(r"\*?([\w-]+) \(measured", label).group(1): line for label, line in labels.items()}
    assert all(label.endswith("†*") for label in labels)  # synthetic data: marked not reportable
    hsv, attr = rows["hsv-hist"], rows["attr-match"]
    record = read_record(out / "hsv-hist" / "single" / "market1501.json")
    half = 100 * (record.intervals.metrics["R1"].high - record.intervals.metrics["R1"].low) / 2
    assert f"{100 * record.metrics['R1']:.1f} ± {half:.1f}" in hsv
    # first column: 95.4 vs 71.5 on the same 32 queries, which the paired test separates
    assert "*" in attr.split("|")[2] and "°" in hsv.split("|")[2]
    assert "paired test on the same queries" in shown.output and "half-width" in shown.output
    latex = cli.invoke(app, [*args, "--ci", "-f", "latex"])
    assert latex.exit_code == 0 and r"$\pm$" in latex.output


def test_plot_tsne_reads_embeddings_through_the_record(cli, tiny_world: Path, tmp_path: Path) -> None:
    from harness.results.embeddings import record_embeddings

    cache, out = tmp_path / "run-cache", tmp_path / "res"  # not $HARNESS_CACHE (tmp_path / "cache")
    runs = [("p2", "hsv-hist", "MS"), ("t2i", "attr-match", "rstpreid")]
    for protocol, method, leg in runs:
        args = ["run", "-p", protocol, "-m", method, "--leg", leg, "--data-root", str(tiny_world)]
        result = cli.invoke(app, [*args, "--out", str(out), "--cache-dir", str(cache), "--no-progress"])
        assert result.exit_code == 0, result.output
    image = record_embeddings(out / "hsv-hist" / "p2" / "MS.json", cache)
    record = read_record(out / "hsv-hist" / "p2" / "MS.json")
    assert image.image_features.shape[0] == record.counts.n_query == len(image.image_pids)
    assert image.text_features is None
    text_record = record_file(out, "attr-match", "t2i", "rstpreid")
    text = record_embeddings(text_record, cache)
    assert text.text_features.shape[0] == read_record(text_record).counts.n_query
    assert len(text.image_pids) == len(text.image_features) > 0
    for protocol, method, leg in runs:
        record_path = record_file(out, method, protocol, leg)
        args = ["plot", "tsne", "--record", str(record_path), "--cache-dir", str(cache), "--perplexity", "3"]
        result = cli.invoke(
            app, [*args, "--iterations", "60", "--out", str(tmp_path / "plots"), "--name", leg]
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / "plots" / f"{leg}.png").is_file()
    empty = cli.invoke(app, ["plot", "tsne", "--record", str(out / "hsv-hist" / "p2" / "MS.json")])
    assert empty.exit_code == 2 and "not in" in empty.output  # another cache folder: the entry is absent


def test_leaderboard_shows_intervals_and_marks(cli, two_methods: Path, tmp_path: Path) -> None:
    args = ["leaderboard", "--results", str(two_methods), "--allow-nonreportable", "--out", str(tmp_path)]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "leaderboard.md").read_text()
    record = read_record(two_methods / "hsv-hist" / "p2" / "M.json")
    half = 100 * (record.intervals.metrics["mAP"].high - record.intervals.metrics["mAP"].low) / 2
    assert f"{100 * record.metrics['mAP']:.2f} ± {half:.2f}" in md
    # p2 M (32 queries): attr-match 95.4 vs hsv-hist 71.5 mAP, separated by the paired test
    p2 = md.split("## p2", 1)[1]
    header = next(line for line in p2.splitlines() if line.startswith("| Method"))
    row = next(line for line in p2.splitlines() if "records/attr-match/p2/M" in line)
    column = next(i for i, h in enumerate(header.split("|")) if "Market-1501: mAP" in h)
    assert "*" in row.split("|")[column]  # the M leg's mAP column of the paper-style table
    assert "paired test on the same queries" in md and "paired test" in (tmp_path / "p2.html").read_text()
