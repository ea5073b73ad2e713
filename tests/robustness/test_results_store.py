"""Hostile results folders (issue 15 items 1, 2, 11), through the CLI as a user meets them.

One record per identity; impossible metrics refused by the one reader everywhere; no NaN tolerance
and no NaN written into an expected file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli.app import app
from tests.robustness._support import assert_user_error, run

RECORD = Path("hsv-hist") / "single" / "market1501.json"


@pytest.fixture(scope="module")
def results(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``harness run`` record and the expected file ``check --update`` wrote from it."""
    base = tmp_path_factory.mktemp("store")
    cli = CliRunner()
    result = run(cli, tiny_world, base / "out", "--cache-dir", str(base / "cache"))
    assert result.exit_code == 0, result.output
    update = cli.invoke(
        app, ["check", str(base / "out"), "--expected", str(base / "expected.yaml"), "--update"]
    )
    assert update.exit_code == 0, update.output
    return base


def _copy(results: Path, tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    shutil.copytree(results / "out", out)
    expected = tmp_path / "expected.yaml"
    shutil.copy2(results / "expected.yaml", expected)
    return out, expected


def _set_metric(path: Path, name: str, literal: str) -> None:
    """Write ``metrics[name]`` as the JSON literal ``literal`` (``Infinity``/``NaN`` as json writes them)."""
    raw = json.loads(path.read_text())
    raw["metrics"][name] = "__X__"
    path.write_text(json.dumps(raw).replace('"__X__"', literal))


def test_leaderboard_copies_never_hide_a_regression(results: Path, tmp_path: Path, cli) -> None:
    """#15 item 1: `leaderboard --out out/site` copies records; a later worse run in `out` must fail."""
    out, expected = _copy(results, tmp_path)
    site = out / "site"
    result = cli.invoke(
        app, ["leaderboard", "--results", str(out), "--out", str(site), "--allow-nonreportable"]
    )
    assert result.exit_code == 0, result.output
    assert (site / "records" / RECORD).is_file()
    _set_metric(out / RECORD, "R1", "0.01")  # the later, worse run
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected)])
    assert result.exit_code == 1, result.output
    assert "regressed" in result.output and "check failed" in result.output
    assert "skipped (copies of records written by harness leaderboard" in " ".join(result.output.split())


def test_two_files_of_one_identity_are_an_error_naming_both(results: Path, tmp_path: Path, cli) -> None:
    """#15 item 1: no command picks one of two copies silently (check, report, leaderboard)."""
    out, expected = _copy(results, tmp_path)
    backup = out / "backup" / "market1501.json"
    backup.parent.mkdir()
    shutil.copy2(out / RECORD, backup)
    for args in (
        ["check", str(out), "--expected", str(expected)],
        ["report", "--table", "dtta-t2", "--with-measured", str(out), "--allow-nonreportable"],
        ["leaderboard", "--results", str(out), "--out", str(tmp_path / "site")],
    ):
        assert_user_error(cli.invoke(app, args), str(out / RECORD), str(backup), "hold the same result")


@pytest.mark.parametrize(
    ("metric", "literal", "says"),
    [
        ("mAP", "Infinity", "metrics.mAP: inf is not a finite number"),
        ("R1", "1.7", "metrics.R1: 1.7 is outside the valid range [0, 1]"),
        ("R1", "NaN", "metrics.R1: nan is not a finite number"),
    ],
)
def test_impossible_metrics_are_refused_everywhere(
    results: Path, tmp_path: Path, cli, metric: str, literal: str, says: str
) -> None:
    """#15 item 2: never "improved", never bold in a table, never first on the leaderboard."""
    out, expected = _copy(results, tmp_path)
    _set_metric(out / RECORD, metric, literal)
    for args in (
        ["check", str(out), "--expected", str(expected)],
        ["report", "--table", "dtta-t2", "--with-measured", str(out), "--allow-nonreportable"],
        ["leaderboard", "--results", str(out), "--out", str(tmp_path / "site"), "--allow-nonreportable"],
        [
            "plot",
            "cmc",
            "--results",
            str(out),
            "--protocol",
            "single",
            "--leg",
            "market1501",
            "-o",
            str(tmp_path),
        ],
    ):
        assert_user_error(cli.invoke(app, args), str(out / RECORD), says)


def test_nan_tolerance_is_refused(results: Path, tmp_path: Path, cli) -> None:
    """#15 item 11: `--tol R1=nan` (and inf) is a user error, not a silent regression."""
    out, expected = _copy(results, tmp_path)
    for value in ("nan", "inf", "-1"):
        result = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--tol", f"R1={value}"])
        assert_user_error(result, f"--tol 'R1={value}'", "finite non-negative number")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        expected.read_text().replace("tolerances:\n  default: 0.5", "tolerances:\n  default: .nan")
    )
    assert_user_error(cli.invoke(app, ["check", str(out), "--expected", str(bad)]), "finite non-negative")


def test_update_never_writes_nan(results: Path, tmp_path: Path, cli) -> None:
    """#15 item 11: a NaN record is refused by the reader; the expected file is left as it was."""
    out, expected = _copy(results, tmp_path)
    before = expected.read_text()
    _set_metric(out / RECORD, "mINP", "NaN")
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--update"])
    assert_user_error(result, "metrics.mINP: nan is not a finite number")
    assert expected.read_text() == before and "nan" not in before.lower()
    hand = tmp_path / "hand.yaml"
    hand.write_text(before.replace("R1: ", "R1: .nan #", 1))
    result = cli.invoke(app, ["check", str(results / "out"), "--expected", str(hand)])
    assert_user_error(result, "metrics.R1 must be a finite number")
