"""``harness check``: planted regressions fail, tolerances hold, --update rewrites and diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.app import app
from harness.errors import ConfigError, ResultError
from harness.regression import compare, load_expected
from harness.regression.expected import parse_tolerances
from harness.reports.measured import load_measured
from tests.reports.records import make_record, write_records

EXPECTED_TEXT = """\
tolerances: {default: 0.5, mAP: 1.0}
entries:
  - {method: m, protocol: single, leg: market1501, metrics: {R1: 80.0, mAP: 70.0}}
"""


@pytest.fixture()
def expected_file(tmp_path: Path) -> Path:
    path = tmp_path / "expected.yaml"
    path.write_text(EXPECTED_TEXT)
    return path


def _results(tmp_path: Path, r1: float, mAP: float = 0.70, name: str = "res") -> Path:
    rec = make_record("m", "single", "market1501", target="market1501", metrics={"R1": r1, "mAP": mAP})
    return write_records(tmp_path / name, [rec])


def _status(summary, metric):
    return next(r.status for r in summary.rows if r.metric == metric)


def test_within_tolerance_passes(tmp_path, expected_file):
    summary = compare(load_expected(expected_file), load_measured(_results(tmp_path, 0.803, 0.691)))
    assert summary.passed and _status(summary, "R1") == "ok" and _status(summary, "mAP") == "ok"


def test_planted_regression_fails(tmp_path, expected_file, cli):
    res = _results(tmp_path, 0.79)  # R1 80.0 -> 79.0, tolerance 0.5
    summary = compare(load_expected(expected_file), load_measured(res))
    assert not summary.passed and _status(summary, "R1") == "regressed"
    result = cli.invoke(app, ["check", str(res), "--expected", str(expected_file)])
    assert result.exit_code == 1
    assert "regressed" in result.output and "check failed" in result.output
    assert cli.invoke(app, ["check", str(res), "-e", str(expected_file), "--tol", "R1=1.5"]).exit_code == 0


def test_improvement_passes_unless_strict(tmp_path, expected_file):
    measured = load_measured(_results(tmp_path, 0.85))
    summary = compare(load_expected(expected_file), measured)
    assert summary.passed and _status(summary, "R1") == "improved"
    assert not compare(load_expected(expected_file), measured, strict=True).passed


def test_missing_result_fails_and_extra_is_new(tmp_path, expected_file):
    rec = make_record("other", "single", "market1501", target="market1501")
    summary = compare(load_expected(expected_file), load_measured(write_records(tmp_path / "r", [rec])))
    assert not summary.passed
    assert {r.status for r in summary.rows if r.method == "m"} == {"missing"}
    assert {r.status for r in summary.rows if r.method == "other"} == {"new"}


def test_update_rewrites_and_prints_diff(tmp_path, expected_file, cli):
    res = _results(tmp_path, 0.79)
    result = cli.invoke(app, ["check", str(res), "--expected", str(expected_file), "--update"])
    assert result.exit_code == 0, result.output
    assert "+    R1: 79.0" in result.output and "(before)" in result.output
    updated = load_expected(expected_file)
    assert updated.entries[0].metrics == {"R1": 79.0, "mAP": 70.0}
    assert updated.tolerances == {"default": 0.5, "mAP": 1.0}
    assert cli.invoke(app, ["check", str(res), "--expected", str(expected_file)]).exit_code == 0


def test_bad_inputs(tmp_path, expected_file, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - {method: m, protocol: single, leg: x, metrics: {R1: high}}\n")
    with pytest.raises(ResultError, match=r"entries\[0\]: metrics.R1 must be a number"):
        load_expected(bad)
    with pytest.raises(ConfigError, match="METRIC=VALUE"):
        parse_tolerances(["R1"])
    res = _results(tmp_path, 0.8)
    assert cli.invoke(app, ["check", str(res), "--expected", str(bad)]).exit_code == 2
    assert cli.invoke(app, ["check", str(tmp_path / "nope"), "--expected", str(expected_file)]).exit_code == 2
