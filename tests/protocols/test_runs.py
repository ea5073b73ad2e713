"""End to end on the tiny world: ``harness run --protocol p2`` and ``p1`` (10 trials, mean and std)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli.app import app


def records(out: Path, protocol: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((out / "hsv-hist" / protocol).glob("*.json"))}


def test_run_p2_end_to_end(cli, tiny_world: Path, tmp_path: Path) -> None:
    args = ["run", "--protocol", "p2", "--method", "hsv-hist", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    recs = records(tmp_path, "p2")
    assert set(recs) == {"C3", "MS", "M"}
    assert recs["C3"]["protocol"]["test"]["dataset"] == "cuhk03-np-labeled"
    assert recs["MS"]["counts"]["n_query"] == 8 and recs["MS"]["metrics_std"] == {}
    assert 0 <= recs["M"]["metrics"]["R1"] <= 1 and recs["M"]["trial_metrics"] == []


def test_run_p1_reports_mean_std_and_ten_trials(cli, tiny_world: Path, tmp_path: Path) -> None:
    args = ["run", "--protocol", "p1", "--method", "hsv-hist", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    recs = records(tmp_path, "p1")
    assert set(recs) == {"prid", "grid", "viper", "ilids"}
    for leg, rec in recs.items():
        trials = rec["trial_metrics"]
        assert len(trials) == 10, leg
        for key in ("R1", "mAP"):
            values = [t[key] for t in trials]
            mean = sum(values) / 10
            assert abs(rec["metrics"][key] - mean) < 1e-12
            assert abs(rec["metrics_std"][key] - (sum((v - mean) ** 2 for v in values) / 10) ** 0.5) < 1e-12
        assert rec["data"][rec["protocol"]["test"]["dataset"]]["trials"] == 10
    assert recs["prid"]["counts"] == {"n_query": 8, "n_gallery": 16, "n_valid_query": 8}
    assert len({t["mAP"] for t in recs["grid"]["trial_metrics"]}) > 1  # trials really differ
