"""``harness check`` keys on the record identity the tables and the leaderboard use (issue 13).

Records come from ``harness run`` on the tiny synthetic world: the plain run, ``--flip`` and
``--rerank`` of one leg are three identities, hence three expected entries; perturbing one record
regresses exactly that identity; an entry of another protocol version is never compared with the
record and says so in one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.cli.app import app
from harness.regression import load_expected
from harness.reports.leaderboard.board import build_board
from harness.reports.leaderboard.entries import load_records, measured_entry
from harness.reports.measured import load_measured
from harness.results import read_records

RUN = ["run", "-p", "single", "-m", "hsv-hist", "--leg", "market1501", "--device", "cpu", "--no-progress"]
VARIANTS = {"": (), "flip": ("--flip",), "rerank": ("--rerank",)}


@pytest.fixture(scope="module")
def three_runs(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One leg run plain, with --flip and with --rerank into one results folder."""
    from typer.testing import CliRunner

    base = tmp_path_factory.mktemp("check-identity")
    cli = CliRunner()
    for extra in VARIANTS.values():
        args = [*RUN, "--data-root", str(tiny_world), "--out", str(base / "out"), "--no-cache", *extra]
        result = cli.invoke(app, args)
        assert result.exit_code == 0, result.output
    return base / "out"


def _check(cli, out: Path, expected: Path, *extra: str):
    return cli.invoke(app, ["check", str(out), "--expected", str(expected), *extra])


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_each_number_changing_setting_is_its_own_entry(three_runs: Path, tmp_path: Path, cli) -> None:
    out = _copy(three_runs, tmp_path / "out")
    expected = tmp_path / "expected.yaml"
    assert _check(cli, out, expected, "--update").exit_code == 0
    entries = load_expected(expected).entries
    assert sorted(e.key.settings for e in entries) == sorted(VARIANTS)
    # the same identity as the record reader (record paths) and the tables' flattened records
    keys = {e.key for e in entries}
    measured = load_measured(out)
    assert keys == {f.key for f in read_records(out)} == {m.key for m in measured}
    assert keys == {m.identity.key for m in measured if m.identity}  # what table cells are matched on
    passed = _check(cli, out, expected, "--verbose")
    assert passed.exit_code == 0, passed.output
    assert "check passed" in passed.output

    # perturb the --flip record only: R1 drops by 5 points
    [flip] = [f for f in read_records(out) if f.key.settings == "flip"]
    raw = json.loads(flip.path.read_text())
    raw["metrics"]["R1"] -= 0.05
    flip.path.write_text(json.dumps(raw))
    failed = _check(cli, out, expected, "--format", "json")
    assert failed.exit_code == 1
    rows = json.loads(failed.stdout)
    bad = {(r["method"], r["protocol"], r["leg"], r["metric"]) for r in rows if r["status"] != "ok"}
    assert bad == {("hsv-hist", "single", "market1501+flip", "R1")}
    flip_r1 = {r["status"] for r in rows if r["leg"] == "market1501+flip" and r["metric"] == "R1"}
    assert flip_r1 == {"regressed"}


def test_leaderboard_rows_are_the_same_identities(three_runs: Path) -> None:
    """Each identity is a row of its own on the leaderboard, holding that record's value."""
    entries = [measured_entry(record, flat, str(path)) for path, record, flat in load_records(three_runs)]
    board = build_board("single", entries)
    measured = {row.setting: row for row in board.rows if row.source == "measured"}
    assert set(measured) == {"", "flip", "re-ranking"}
    by_settings = {m.key.settings: m for m in load_measured(three_runs)}
    for setting, slug in (("", ""), ("flip", "flip"), ("re-ranking", "rerank")):
        cell = measured[setting].cells[("market1501", "R1")]
        assert cell.value == pytest.approx(by_settings[slug].metrics["R1"])


def test_another_protocol_version_is_never_compared(three_runs: Path, tmp_path: Path, cli) -> None:
    expected = tmp_path / "expected.yaml"
    assert _check(cli, three_runs, expected, "--update").exit_code == 0
    raw = yaml.safe_load(expected.read_text())
    for entry in raw["entries"]:
        if "settings" not in entry:
            entry["protocol_version"] = 2
    expected.write_text(yaml.safe_dump(raw))
    result = _check(cli, three_runs, expected)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "not compared with" in line]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("hsv-hist/single@v2/market1501: not compared with ")
    assert "market1501.json: it has protocol version v1; the entry wants protocol version v2" in lines[0]
    rows = json.loads(_check(cli, three_runs, expected, "--format", "json").stdout)
    missing = [r for r in rows if r["status"] == "missing"]
    assert missing and all(r["note"] and r["protocol"] == "single@v2" for r in missing)
    assert {r["status"] for r in rows if r["protocol"] == "single" and r["leg"] == "market1501"} == {"new"}


def test_printed_spellings_of_an_entry_are_read(tmp_path: Path, three_runs: Path) -> None:
    """``leg: market1501+flip`` (as check prints it) is the flip identity; a contradiction is one line."""
    from harness.errors import ResultError

    path = tmp_path / "printed.yaml"
    head = "entries:\n  - {method: hsv-hist, "
    path.write_text(head + "protocol: single, leg: market1501+flip, metrics: {R1: 1}}\n")
    [entry] = load_expected(path).entries
    assert entry.key in {m.key for m in load_measured(three_runs)} and entry.key.settings == "flip"
    path.write_text(head + "protocol: single@v2, protocol_version: 3, leg: m, metrics: {R1: 1}}\n")
    with pytest.raises(ResultError, match=r"printed\.yaml: entries\[0\]: protocol 'single@v2' says ver"):
        load_expected(path)


def test_hand_written_entries_are_read_in_the_records_spelling(three_runs: Path, tmp_path: Path, cli) -> None:
    # aliases (hsv, sdl), settings parts in another order and default parameters spelled out
    out = _copy(three_runs, tmp_path / "out")
    expected = tmp_path / "expected.yaml"
    assert _check(cli, out, expected, "--update").exit_code == 0
    raw = yaml.safe_load(expected.read_text())
    assert raw["run"]["world"] == {"scale": "tiny", "seed": 0}  # --update records the world
    assert list(raw["entries"][0]["metrics"])[:3] == ["R1", "R5", "R10"]  # the registry's order
    for entry in raw["entries"]:
        entry["method"], entry["protocol"] = "hsv", "sdl"
        if entry.get("settings") == "rerank":
            entry["settings"] = "rerank-20-6-0.3"
    # the +flip entry written as "flip+rerank" (never run): missing, with the +flip record named
    for entry in raw["entries"]:
        if entry.get("settings") == "flip":
            entry["settings"] = "flip+rerank"
    expected.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = _check(cli, out, expected, "--format", "json")
    rows = json.loads(result.stdout)
    status = {(r["leg"], r["metric"]): r["status"] for r in rows}
    assert status[("market1501+rerank", "R1")] == "ok" and status[("market1501", "R1")] == "ok"
    assert status[("market1501+rerank+flip", "R1")] == "missing"
    note = next(r["note"] for r in rows if r["leg"] == "market1501+rerank+flip")
    assert "market1501+flip.json: it has settings flip" in note, note


def test_check_prints_plain_lines_when_the_table_does_not_fit(three_runs: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    out = _copy(three_runs, tmp_path / "out")
    expected = tmp_path / "expected.yaml"
    cli = CliRunner(env={"COLUMNS": "80"})
    assert _check(cli, out, expected, "--update").exit_code == 0
    [flip] = [f for f in read_records(out) if f.key.settings == "flip"]
    raw = json.loads(flip.path.read_text())
    raw["metrics"]["mAP"] -= 0.05
    flip.path.write_text(json.dumps(raw))
    result = _check(cli, out, expected)
    assert result.exit_code == 1
    [line] = [x for x in result.output.splitlines() if x.startswith("regressed")]
    assert "hsv-hist single market1501+flip mAP: expected" in line and "actual" in line
    assert "│" not in result.output  # plain lines, not a table squeezed to a character a column
