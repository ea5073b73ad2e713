"""Record identity through real runs: a variant run (--flip) never overwrites the plain one, and
every consumer keeps them apart (issue 13: `--flip` overwrote the record of the run without flip)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.app import app
from harness.metrics.registry import display_metrics, metric_info, metric_names
from harness.reports.measured import load_measured
from harness.results import load_results, read_records


def test_flip_run_gets_its_own_record(tiny_world: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "out"
    args = ["run", "-p", "single", "-m", "hsv-hist", "--leg", "market1501", "--data-root", str(tiny_world)]
    args += ["--out", str(out), "--no-progress", "--cache-dir", str(tmp_path / "cache")]
    plain = cli.invoke(app, args)
    assert plain.exit_code == 0, plain.output
    flipped = cli.invoke(app, [*args, "--flip"])
    assert flipped.exit_code == 0, flipped.output
    assert "market1501+flip" in flipped.output  # the run table names the variant
    files = {str(f.key): f for f in read_records(out)}
    assert set(files) == {"hsv-hist/single/market1501", "hsv-hist/single/market1501+flip"}
    assert files["hsv-hist/single/market1501+flip"].record.settings.flip is True
    assert files["hsv-hist/single/market1501"].record.settings.flip is False
    assert files["hsv-hist/single/market1501+flip"].path.name == "market1501+flip.json"
    frame = load_results(out)
    assert sorted(frame["settings"]) == ["", "flip"]
    measured = {m.settings: m for m in load_measured(out)}
    assert measured[""].matches_setting("single") and not measured["flip"].matches_setting("single")
    expected = tmp_path / "expected.yaml"
    assert cli.invoke(app, ["check", str(out), "--expected", str(expected), "--update"]).exit_code == 0
    assert "settings: flip" in expected.read_text()
    assert cli.invoke(app, ["check", str(out), "--expected", str(expected)]).exit_code == 0


@pytest.mark.parametrize("name", ["i2t_R1", "i2t_R5", "i2t_R10", "i2t_mAP", "i2t_mINP"])
def test_image_to_text_metrics_are_percent_like_the_others(name: str) -> None:
    info = metric_info(name)
    assert info.scale == 100 and info.unit == "%" and info.higher_is_better and info.kinds == {"text"}
    assert display_metrics({name: 0.5, "R1": 0.5}) == {name: 50.0, "R1": 50.0}
    assert name in metric_names("text") and name not in metric_names("image")
