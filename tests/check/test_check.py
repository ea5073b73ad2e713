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
    with pytest.raises(ResultError, match=r"entries\[0\]: metrics.R1 must be a finite number"):
        load_expected(bad)
    with pytest.raises(ConfigError, match="METRIC=VALUE"):
        parse_tolerances(["R1"])
    res = _results(tmp_path, 0.8)
    assert cli.invoke(app, ["check", str(res), "--expected", str(bad)]).exit_code == 2
    assert cli.invoke(app, ["check", str(tmp_path / "nope"), "--expected", str(expected_file)]).exit_code == 2


def test_protocol_versions_and_settings_are_never_mixed(tmp_path, expected_file, cli):
    """A v2 re-run or a --flip run is another identity: it neither fills nor overwrites the v1 entry."""
    plain = make_record("m", "single", "market1501", target="market1501", metrics={"R1": 0.80, "mAP": 0.70})
    newer = make_record("m", "single", "market1501", target="market1501", metrics={"R1": 0.10, "mAP": 0.10})
    newer.protocol.version = 2
    flipped = make_record("m", "single", "market1501", target="market1501", metrics={"R1": 0.20, "mAP": 0.10})
    flipped.settings.flip = True
    res = write_records(tmp_path / "r", [plain, newer, flipped])
    summary = compare(load_expected(expected_file), load_measured(res))
    assert summary.passed
    new = {(r.protocol, r.leg) for r in summary.rows if r.status == "new"}
    assert new == {("single@v2", "market1501"), ("single", "market1501+flip")}
    result = cli.invoke(app, ["check", str(res), "--expected", str(expected_file), "--update"])
    assert result.exit_code == 0, result.output
    text = expected_file.read_text()
    assert "protocol_version: 2" in text and "settings: flip" in text
    reread = {str(e.key): e.metrics["R1"] for e in load_expected(expected_file).entries}
    assert reread["m/single@v2/market1501"] == 10.0
    assert reread["m/single/market1501+flip"] == 20.0


def test_schema_1_text_mask_legs_in_an_expected_file_still_match(tmp_path, cli):
    path = tmp_path / "old.yaml"
    path.write_text(
        "entries:\n  - {method: m, protocol: textmask, leg: cuhk-pedes@mask0.3, metrics: {R1: 50}}\n"
    )
    [entry] = load_expected(path).entries
    assert (entry.key.leg, entry.key.settings) == ("cuhk-pedes", "mask0.3")
    rec = make_record("m", "textmask", "cuhk-pedes", target="cuhk-pedes", metrics={"R1": 0.5}, mask_ratio=0.3)
    assert compare(load_expected(path), load_measured(write_records(tmp_path / "r", [rec]))).passed


@pytest.fixture(scope="module")
def real_results(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `harness run` (hsv-hist, single/market1501) on the tiny world, and its expected file."""
    from typer.testing import CliRunner

    base = tmp_path_factory.mktemp("check-real")
    cli = CliRunner()
    args = ["run", "-p", "single", "-m", "hsv-hist", "--leg", "market1501", "--data-root", str(tiny_world)]
    assert cli.invoke(app, [*args, "--out", str(base / "out"), "--no-progress"]).exit_code == 0
    expected = base / "expected.yaml"
    expected.write_text("run:\n  world: {scale: tiny, seed: 0}\nentries: []\n")
    result = cli.invoke(app, ["check", str(base / "out"), "--expected", str(expected), "--update"])
    assert result.exit_code == 0, result.output
    return base


def test_records_carry_the_synthetic_world(real_results):
    [m] = load_measured(real_results / "out")
    assert m.world == {"scale": "tiny", "seed": 0, "generator_version": 1}


def test_world_mismatch_is_one_clear_line(real_results, tmp_path, cli):
    other = tmp_path / "small.yaml"
    other.write_text((real_results / "expected.yaml").read_text().replace("scale: tiny", "scale: small"))
    result = cli.invoke(app, ["check", str(real_results / "out"), "--expected", str(other)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) <= 3 and "regressed" not in result.output, result.output  # one (wrapped) line
    assert "synthetic world scale=small seed=0" in result.output.replace("\n", " ")
    assert "scale=tiny seed=0 (1 records)" in result.output.replace("\n", " ")


def test_default_output_lists_failures_and_a_summary(real_results, tmp_path, cli):
    out, expected = real_results / "out", real_results / "expected.yaml"
    passed = cli.invoke(app, ["check", str(out), "--expected", str(expected)])
    assert passed.exit_code == 0 and "check passed: 5 metrics: 5 ok" in passed.output
    assert "market1501" not in passed.output  # no rows when nothing fails
    verbose = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--verbose"])
    assert verbose.exit_code == 0 and verbose.output.count("market1501") == 5
    worse = tmp_path / "worse.yaml"
    worse.write_text(expected.read_text().replace("R1: ", "R1: 1", 1))  # R1 expected 10 points higher or more
    failed = cli.invoke(app, ["check", str(out), "--expected", str(worse)])
    assert failed.exit_code == 1 and failed.output.count("market1501") == 1 and "1 regressed" in failed.output


def test_csv_and_json_formats(real_results, cli):
    import csv
    import io
    import json

    out, expected = real_results / "out", real_results / "expected.yaml"
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 5 and {r["status"] for r in rows} == {"ok"} and rows[0]["leg"] == "market1501"
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--format", "csv"])
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["metric"] for r in table] == ["R1", "R10", "R5", "mAP", "mINP"] and table[0][
        "method"
    ] == "hsv-hist"
    bad = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--format", "xml"])
    assert bad.exit_code == 2 and "'--format'" in bad.output and "'xml'" in bad.output  # OutputFormat
