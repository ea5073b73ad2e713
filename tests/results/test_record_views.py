"""What users see of per-query outcomes and intervals: ``harness run`` output and ``plot ranked``."""

from __future__ import annotations

from pathlib import Path

from harness.cli.app import app
from harness.results import read_record


def test_run_prints_interval_next_to_each_metric(cli, tiny_world: Path, tmp_path: Path) -> None:
    args = ["run", "-p", "p2", "-m", "hsv-hist", "--leg", "MS", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--out", str(tmp_path), "--no-progress", "--no-cache"])
    assert result.exit_code == 0, result.output
    record = read_record(tmp_path / "hsv-hist" / "p2" / "MS.json")
    iv = record.intervals.metrics["mAP"]
    assert f"{100 * iv.low:.1f}-{100 * iv.high:.1f}" in result.output
    assert "95% bootstrap interval (percentile, resampling queries)" in " ".join(result.output.split())


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
