"""Hostile records and folders against ``harness leaderboard`` (issue 15 item 3), through the CLI:
markup in names is shown, never run; names that look like paths never write outside ``--out``; the
site folder follows no link, never overwrites what it did not write, refuses to overlap its input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.cli.app import app
from tests.robustness._support import assert_user_error, run

XSS = 'p"><img src=x onerror=alert(1)>'
SCRIPT = "</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def one_record(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One record written by ``harness run`` (hsv-hist, single/market1501), as JSON."""
    from typer.testing import CliRunner

    base = tmp_path_factory.mktemp("lb-run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HARNESS_CACHE", str(base / "cache"))
        result = run(CliRunner(), tiny_world, base / "out")
    assert result.exit_code == 0, result.output
    return json.loads((base / "out" / "hsv-hist" / "single" / "market1501.json").read_text())


def _results(folder: Path, record: dict, *, protocol: str, method: str = "hsv-hist", leg: str = "market1501"):
    """A results folder holding ``record`` renamed (what a hostile or careless producer could write)."""
    data = json.loads(json.dumps(record))
    data["protocol"]["name"] = protocol
    data["protocol"]["leg"] = leg
    data["method"]["name"] = method
    path = folder / "r" / "x" / "rec.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    return folder


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _build(cli, results: Path, out: Path):
    return cli.invoke(
        app, ["leaderboard", "--results", str(results), "--out", str(out), "--allow-nonreportable"]
    )


def test_markup_in_protocol_method_and_leg_names_is_escaped_everywhere(cli, one_record, tmp_path):
    results = _results(tmp_path / "res", one_record, protocol=XSS, method=SCRIPT, leg=XSS)
    out = tmp_path / "site"
    result = _build(cli, results, out)
    assert result.exit_code == 0, result.output
    pages = sorted(out.glob("*.html"))
    assert len(pages) > 8
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<img" not in text and "<script>alert" not in text
        assert text.count("<script>") == 1  # only the page's own script
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "p&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in index  # shown literally, in text and attributes
    md = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert "<img" not in md and "<script>" not in md


@pytest.mark.parametrize("name", ["../../x", "../index", "/tmp/harness-victim/index", "..", ".hidden", "a/b"])
def test_protocol_name_that_looks_like_a_path_stays_inside_out(cli, one_record, tmp_path, name):
    results = _results(tmp_path / "res", one_record, protocol=name)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "index.html").write_text("the victim's page")
    out = tmp_path / "deep" / "er" / "site"
    before = _files(tmp_path)
    result = _build(cli, results, out)
    new = _files(tmp_path) - before
    assert all(p.is_relative_to(out) for p in new), sorted(map(str, new - set(out.rglob("*"))))
    assert (victim / "index.html").read_text() == "the victim's page"
    assert not Path("/tmp/harness-victim").exists()
    if result.exit_code != 0:  # a reader that refuses such a name must say so in one line
        assert_user_error(result, "protocol")
        return
    assert new and len(list(out.glob("*.html"))) > 8  # the page got a plain, hashed name inside out


def test_out_that_is_or_holds_the_results_is_refused(cli, one_record, tmp_path):
    results = _results(tmp_path / "res", one_record, protocol="single")
    for out in (results, tmp_path):
        assert_user_error(_build(cli, results, out), "overlaps the results folder")
    assert not (results / "index.html").exists() and not (tmp_path / "index.html").exists()
    inside = results / "site"  # allowed: its records/ copies are marked and never read back
    assert _build(cli, results, inside).exit_code == 0
    assert _build(cli, results, inside).exit_code == 0  # and rebuilt without a duplicate-record error


def test_non_empty_folder_it_did_not_write_is_refused(cli, one_record, tmp_path):
    results = _results(tmp_path / "res", one_record, protocol="single")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "index.html").write_text("my own page")
    assert_user_error(_build(cli, results, out), "was not written by `harness leaderboard`")
    assert (out / "index.html").read_text() == "my own page"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinks_inside_out_are_never_followed(cli, one_record, tmp_path):
    results = _results(tmp_path / "res", one_record, protocol="single")
    out = tmp_path / "site"
    assert _build(cli, results, out).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.json").write_text("keep")
    records = out / "records"
    for child in sorted(records.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    records.rmdir()
    records.symlink_to(elsewhere, target_is_directory=True)
    assert_user_error(_build(cli, results, out), "symbolic link")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.json"]
    page = out / "single.html"
    page.unlink()
    page.symlink_to(elsewhere / "keep.json")
    records.unlink()
    assert_user_error(_build(cli, results, out), "symbolic link")
    assert (elsewhere / "keep.json").read_text() == "keep"


def test_manifest_naming_outside_files_is_never_followed(cli, one_record, tmp_path):
    results = _results(tmp_path / "res", one_record, protocol="single")
    out = tmp_path / "site"
    assert _build(cli, results, out).exit_code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    manifest = out / ".harness-leaderboard.json"
    files = json.loads(manifest.read_text())["files"]
    manifest.write_text(json.dumps({"files": [*files, "../victim.txt", str(victim)]}))
    assert _build(cli, results, out).exit_code == 0
    assert victim.read_text() == "keep"
