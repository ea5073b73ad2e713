"""``harness data check``, ``harness data synth --all``."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.cli.app import app
from harness.data.base import SYNTH_MARKER
from harness.data.check import check_dataset


def test_check_on_the_tiny_world_is_clean_under_strict(cli, tiny_world: Path) -> None:
    result = cli.invoke(app, ["data", "check", "--data-root", str(tiny_world), "--strict"])
    assert result.exit_code == 0, result.output
    assert "MSMT17" in result.output and "V1" in result.output and "trials" in result.output
    assert "MISMATCH" not in result.output and "withdrawn" in result.output


def test_absent_datasets_are_missing_not_failures_unless_named(cli, tiny_world: Path, tmp_path: Path) -> None:
    shutil.copytree(tiny_world / "market1501", tmp_path / "market1501")
    shutil.copy(tiny_world / SYNTH_MARKER, tmp_path / SYNTH_MARKER)
    result = cli.invoke(app, ["data", "check", "--data-root", str(tmp_path), "--strict"])
    assert result.exit_code == 0, result.output
    assert "missing" in result.output and "found" in result.output
    result = cli.invoke(app, ["data", "check", "--data-root", str(tmp_path), "--dataset", "grid"])
    assert result.exit_code == 1 and "GRID not found" in result.output


def test_mismatch_and_problems_fail_only_under_strict(cli, tiny_world: Path, tmp_path: Path) -> None:
    shutil.copytree(tiny_world / "viper", tmp_path / "viper")  # no marker here: canonical counts apply
    result = cli.invoke(app, ["data", "check", "--data-root", str(tmp_path), "--dataset", "viper"])
    assert result.exit_code == 0, result.output
    assert "MISMATCH" in result.output and "632" in result.output
    assert "viper.json trial 0" in result.output  # the frozen trials do not resolve on 16 ids
    result = cli.invoke(app, ["data", "check", "--data-root", str(tmp_path), "--strict"])
    assert result.exit_code == 1 and "data check failed: VIPeR" in result.output


def test_broken_dataset_reports_the_path(tiny_world: Path, tmp_path: Path) -> None:
    shutil.copytree(tiny_world / "grid", tmp_path / "grid")
    bad = tmp_path / "grid" / "underground_reid" / "probe" / "bad.jpeg"
    bad.write_bytes(b"")
    status = check_dataset("grid", tmp_path)
    assert status.status == "broken" and str(bad) in status.problems[0]
    assert status.failed(strict=True) and not status.failed(strict=False)


def test_synth_all_and_dataset_exclude_each_other(cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["data", "synth", "--root", str(tmp_path), "--all", "--dataset", "grid"])
    assert result.exit_code == 2 and "--all and --dataset exclude each other" in result.output
    result = cli.invoke(app, ["data", "synth", "--root", str(tmp_path), "--dataset", "viper"])
    assert result.exit_code == 0 and "cam_a" in result.output
