"""Every subcommand through Typer's CliRunner, including wrong names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.results import read_record


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["list"],
        ["run"],
        ["demo"],
        ["data"],
        ["data", "synth"],
        ["show"],
        ["show", "protocol"],
        ["show", "method"],
    ],
)
def test_help_is_useful(cli, args: list[str]) -> None:
    result = cli.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output.splitlines()) > 5


def test_version(cli) -> None:
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("reid-harness ")


@pytest.mark.parametrize(
    ("kind", "expected"), [("methods", "hsv-hist"), ("protocols", "single"), ("datasets", "market1501")]
)
def test_list(cli, kind: str, expected: str) -> None:
    result = cli.invoke(app, ["list", kind])
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_list_wrong_kind(cli) -> None:
    result = cli.invoke(app, ["list", "metods"])
    assert result.exit_code == 2
    assert "methods" in result.output


def test_show_protocol_and_method(cli) -> None:
    result = cli.invoke(app, ["show", "protocol", "sdl"])
    assert result.exit_code == 0 and "market1501" in result.output and "same-camera" in result.output
    result = cli.invoke(app, ["show", "method", "hsv"])
    assert result.exit_code == 0 and "128x64" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "protocol", "singel"], "Did you mean 'single'?"),
        (["show", "method", "hsv-hst"], "Did you mean 'hsv-hist'?"),
        (["run", "--protocol", "singel", "--method", "hsv-hist"], "unknown protocol 'singel'"),
        (["run", "--protocol", "single", "--method", "hsvhist"], "Did you mean 'hsv-hist'?"),
    ],
)
def test_wrong_names_suggest(cli, args: list[str], expected: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_run_needs_a_data_root(cli) -> None:
    result = cli.invoke(app, ["run", "--protocol", "single", "--method", "hsv-hist"])
    assert result.exit_code == 2 and "--data-root" in result.output


def test_data_synth(cli, tmp_path: Path) -> None:
    result = cli.invoke(app, ["data", "synth", "--root", str(tmp_path), "--dataset", "market1501"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "harness-synthetic.json").is_file()
    assert "gallery" in result.output
    result = cli.invoke(app, ["data", "synth", "--root", str(tmp_path / "x"), "--scale", "giant"])
    assert result.exit_code == 2 and "unknown synthetic scale" in result.output


def test_run_one_leg_end_to_end(cli, tiny_world: Path, tmp_path: Path) -> None:
    result = cli.invoke(
        app,
        [
            "run",
            "--protocol",
            "single",
            "--method",
            "hsv-hist",
            "--leg",
            "market1501",
            "--data-root",
            str(tiny_world),
            "--out",
            str(tmp_path),
            "--device",
            "cpu",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    record = read_record(tmp_path / "hsv-hist" / "single" / "market1501.json")
    assert record.protocol.leg == "market1501" and record.method.weights == "weights-free"
    assert record.provenance.synthetic_data and record.reportable
    assert record.counts.n_valid_query == record.counts.n_query > 0
    assert record.conventions["junk"] == "same-camera"
    assert set(record.timings_s) >= {"load_data", "encode_query", "encode_gallery", "score"}
    result = cli.invoke(
        app, ["run", "-p", "single", "-m", "hsv-hist", "--leg", "duke", "--data-root", str(tiny_world)]
    )
    assert result.exit_code == 2 and "has no leg 'duke'" in result.output


def test_demo_end_to_end(cli, tmp_path: Path) -> None:
    result = cli.invoke(
        app, ["demo", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out"), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    for column in ("R1", "R5", "R10", "mAP"):
        assert column in result.output
    path = tmp_path / "out" / "hsv-hist" / "single" / "market1501.json"
    assert str(path) in result.output.replace("\n", "")
    record = json.loads(path.read_text())
    chance = 1 / 16  # 16 test identities in the tiny world
    assert record["metrics"]["R1"] > 5 * chance
    assert record["metrics"]["mAP"] > 3 * chance
    # a second demo reuses the world instead of writing it again
    again = cli.invoke(
        app, ["demo", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out"), "--no-progress"]
    )
    assert again.exit_code == 0 and "writing the tiny synthetic world" not in again.output
