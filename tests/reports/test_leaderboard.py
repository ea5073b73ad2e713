"""The leaderboard site from ``harness run`` records: paper-style tables (one row per method, a column
group per leg, average, marks, decimals, links), the per-entry detail page, Markdown; rendering,
screenshot at 1400 px, sorting and the reportable-only filter in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from harness.cli.app import app
from harness.reports.leaderboard import build_leaderboard
from harness.reports.leaderboard.board import build_board
from harness.reports.leaderboard.entries import leaderboard_entries
from tests.reports.browser import Browser, find_chromium


@pytest.fixture()
def results(run_records: Path, tmp_path: Path) -> Path:
    """The run records plus one reportable copy (``hsv-coarse`` on p2, provenance flipped) so the
    table has a ranked measured row beside the not-reportable ones."""
    res = tmp_path / "results"
    shutil.copytree(run_records, res, ignore=shutil.ignore_patterns(".locks"))
    for path in (res / "hsv-coarse" / "p2").glob("*.json"):
        data = json.loads(path.read_text())
        data["provenance"]["synthetic_data"] = False
        path.write_text(json.dumps(data))
    return res


@pytest.fixture()
def site(results: Path, tmp_path: Path) -> Path:
    out = tmp_path / "site"
    written, skipped = build_leaderboard(out, results, allow_nonreportable=True)
    assert skipped == 0 and out / "p2.html" in written
    return out


def test_board_is_one_row_per_method_with_leg_groups(results):
    from harness.reports.leaderboard.entries import load_records, measured_entry

    measured = [measured_entry(r, m, f"records/{p.name}") for p, r, m in load_records(results)]
    board = build_board("p2", leaderboard_entries(measured)["p2"])
    assert [c.key for c in board.columns] == ["C3", "MS", "M"] and board.has_average
    assert board.columns[2].title.endswith("\u2192 Market-1501")
    labels = [r.label for r in board.rows]
    assert len(labels) == len(set(labels))  # one row per method (and setting)
    retext = next(r for r in board.rows if r.method == "ReText")
    assert retext.cells[("M", "R1")].text == "91.30"  # printed 91.3: consistent decimals
    mean = sum(retext.cells[(leg, "mAP")].value for leg in ("C3", "MS", "M")) / 3
    assert retext.cells[("average", "mAP")].value == pytest.approx(mean)
    coarse = next(r for r in board.rows if r.method == "hsv-coarse")
    hist = next(r for r in board.rows if r.method == "hsv-hist")
    assert coarse.reportable and coarse.source == "measured" and not hist.reportable
    assert all(c.mark is None for c in hist.cells.values())  # never ranked
    best = [r for r in board.rows if r.cells.get(("C3", "mAP")) and r.cells[("C3", "mAP")].mark == "best"]
    ranked = [r.cells[("C3", "mAP")].value for r in board.rows if r.reportable and ("C3", "mAP") in r.cells]
    assert len(best) == 1 and best[0].cells[("C3", "mAP")].value == max(ranked)
    assert coarse.cells[("M", "R1")].link == "records/M.json"


def test_reported_cells_land_in_their_leg_and_duplicates_collapse():
    by = leaderboard_entries([])
    cross = build_board("cross", by["cross"])
    legs = {c.key for c in cross.columns if c.is_leg}
    # ReText prints cuhk03-np (box type unstated) for Market -> CUHK03: the leg on cuhk03-np-detected
    retext = next(r for r in cross.rows if r.method == "ReText")
    assert ("M-C3", "R1") in retext.cells and ("MSall-M", "R1") in retext.cells
    assert {k for k, _ in retext.cells} <= legs | {"average"}
    t2i_cross = build_board("t2i-cross", by["t2i-cross"])
    dgcmia = [r for r in t2i_cross.rows if r.method == "DGCMIA"]
    assert len(dgcmia) == 1  # DGCMIA Tables 1 and 3 print it: one row


def test_pages_link_mark_and_escape(site):
    page = (site / "p2.html").read_text(encoding="utf-8")
    assert "<script>" in page and "http" not in page.split("<body>", 1)[1]  # no external resource
    assert 'class="badge measured"' in page and 'class="badge reported"' in page
    assert 'href="records/hsv-coarse/p2/M.json"' in page
    assert json.loads((site / "records/hsv-coarse/p2/M.json").read_text())["method"]["name"] == "hsv-coarse"
    assert "<strong>91.30</strong>" in page  # ReText, best R1 on Market-1501 among reportable rows
    assert 'id="reportable-only"' in page and 'href="p2-entries.html"' in page
    numbers = re.findall(r'data-sort="[^"]*"[^>]*>(?:<a [^>]*>)?(?:<strong>|<u>)?([0-9.]+)<', page)
    assert numbers and all(re.fullmatch(r"\d+\.\d{2}", n) for n in numbers)
    detail = (site / "p2-entries.html").read_text(encoding="utf-8")
    assert ", git " in detail and "printed as 91.3" in detail  # provenance and the paper's own text
    md = (site / "leaderboard.md").read_text(encoding="utf-8")
    assert "## p2" in md and "[75.00 ± " in md and "](<records/hsv-hist/p2/C3.json>)" in md.replace("\\", "")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="p2.html"' in index and 'href="single.html"' in index


def test_nonreportable_left_out_unless_asked(cli, run_records, tmp_path):
    result = cli.invoke(app, ["leaderboard", "--results", str(run_records), "--out", str(tmp_path / "a")])
    assert result.exit_code == 0 and "left out" in result.output
    assert "hsv-hist" not in (tmp_path / "a" / "p2.html").read_text(encoding="utf-8")
    result = cli.invoke(
        app,
        ["leaderboard", "--results", str(run_records), "--out", str(tmp_path / "b"), "--allow-nonreportable"],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "b" / "p2.html").read_text(encoding="utf-8")
    assert 'class="measured nonreportable"' in page and "synthetic data" in page
    assert cli.invoke(app, ["leaderboard", "--results", str(tmp_path / "none")]).exit_code == 2


def test_rebuild_removes_only_its_own_stale_files(results, tmp_path):
    out = tmp_path / "site"
    build_leaderboard(out, results, allow_nonreportable=True)
    mine = out / "notes.txt"
    mine.write_text("the user's own file")
    shutil.rmtree(results / "hsv-coarse")
    build_leaderboard(out, results, allow_nonreportable=True)
    assert not (out / "records" / "hsv-coarse" / "p2" / "M.json").exists()  # its own stale copy
    assert mine.read_text() == "the user's own file"  # never written by it: kept


CHROMIUM = find_chromium()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
GET_CHROMIUM = (
    "install Chromium to run it (Debian/Ubuntu: apt-get install chromium; or put chromium, "
    "chromium-browser, google-chrome or chrome on PATH)"
)


@pytest.mark.skipif(
    CHROMIUM is None and not IN_CI,
    reason=f"the leaderboard's browser test needs a headless Chromium, which is not on PATH: {GET_CHROMIUM}",
)
def test_renders_sorts_filters_in_headless_chromium(site, tmp_path):
    if CHROMIUM is None:  # under CI the browser test must run, never skip
        pytest.fail(f"CI is set but no Chromium is on PATH (.ci/run installs it): {GET_CHROMIUM}")
    browser = Browser(CHROMIUM, tmp_path / "profile")  # type: ignore[arg-type]
    table = "#board-p2"
    rows = f"Array.from(document.querySelectorAll('{table} tbody tr'))"
    try:
        browser.open((site / "p2.html").as_uri())
        shot = tmp_path / "p2.png"
        browser.screenshot(shot, width=1400)
        with Image.open(shot) as img:
            assert img.width == 1400 and img.height > 400
        header = f"Array.from(document.querySelectorAll('{table} thead tr:nth-child(%d) th'))"
        groups = browser.evaluate(f"{header % 1}.map(h => h.textContent)")
        assert groups[:2] == ["Method", "Source"] and groups[-1] == "Average"
        assert groups[4].endswith("\u2192 Market-1501") and len(groups) == 6
        metrics = browser.evaluate(f"{header % 2}.map(h => h.textContent)")
        assert metrics == ["R1", "mAP"] * 4
        methods = browser.evaluate(f"{rows}.map(r => r.cells[0].textContent)")
        assert "ReText" in methods and "hsv-coarse" in methods and "hsv-hist†" in methods
        assert browser.evaluate(f"{rows}.filter(r => r.classList.contains('measured')).length") == 2
        # sort by Market-1501 mAP (column 7): best first, empty cells last; again: ascending
        column = f"{rows}.map(r => r.cells[7].getAttribute('data-sort'))"
        browser.evaluate(f"document.querySelector('{table} th[data-col=\"7\"]').click()")
        cells = browser.evaluate(column)
        numbers = [float(v) for v in cells if v]
        assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 5
        assert all(cells[: len(numbers)]) and not any(cells[len(numbers) :])
        browser.evaluate(f"document.querySelector('{table} th[data-col=\"7\"]').click()")
        assert [float(v) for v in browser.evaluate(column) if v] == sorted(numbers)
        browser.evaluate(f"document.querySelector('{table} th[data-col=\"0\"]').click()")
        assert browser.evaluate(
            f"{rows}.every((r, i, a) => !i || a[i-1].cells[0].textContent.toLowerCase()"
            ".localeCompare(r.cells[0].textContent.toLowerCase()) <= 0)"
        )
        visible = f"{rows}.filter(r => r.offsetParent !== null).length"
        before = browser.evaluate(visible)
        browser.evaluate("document.getElementById('reportable-only').click()")
        assert browser.evaluate(visible) == before - 1  # hsv-hist† hidden
        browser.open((site / "index.html").as_uri())
        assert browser.evaluate("document.querySelectorAll('#protocols tbody tr').length") >= 8
    finally:
        browser.close()
