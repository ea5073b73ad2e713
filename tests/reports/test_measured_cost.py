"""A record run with --profile feeds the accuracy-vs-cost table and plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.reports.measured import load_measured
from harness.reports.plots.pareto import measured_complexity
from harness.runner import RunOptions, run_protocol


def test_profiled_text_record_gives_params_flops_and_test_set_time(tiny_world: Path, tmp_path: Path) -> None:
    options = RunOptions(data_root=tiny_world, out_dir=tmp_path / "out", device="cpu", profile=True)
    [outcome] = run_protocol("t2i", "attr-match", options, legs=["cuhk-pedes"])
    cost = outcome.record.cost.model_dump()
    [measured] = load_measured(tmp_path / "out")
    profile = measured.profile
    assert profile["params"] == cost["params"]["total"]
    assert profile["flops"] == pytest.approx(
        cost["flops_per_image"]["flops"] + cost["flops_per_text"]["flops"]
    )
    counts = outcome.record.counts
    expected_s = counts.n_gallery / cost["throughput_image"]["items_per_s"]
    expected_s += counts.n_query / cost["throughput_text"]["items_per_s"]
    assert profile["inference_s"] == pytest.approx(expected_s)
    [row] = measured_complexity([measured]).to_dict("records")
    assert row["method"] == "attr-match" and row["source"] == "measured"
    assert row["gflops"] == pytest.approx(profile["flops"] * 0.5e-9)  # the paper's multiply-adds
    assert row["inference_time"] == pytest.approx(expected_s)
