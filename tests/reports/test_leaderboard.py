"""The leaderboard site: files, marking, links and Markdown; rendering and sorting in headless Chromium."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.reports.leaderboard import build_leaderboard
from tests.reports.browser import Browser, find_chromium
from tests.reports.records import make_record, write_records


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    records = [
        make_record("mine", "single", "market1501", target="market1501", metrics={"R1": 0.999, "mAP": 0.98}),
        make_record("smoke", "single", "market1501", target="market1501", reportable=False),
        make_record("mine", "newproto", "leg-a", target="market1501", metrics={"R1": 0.2, "mAP": 0.1}),
    ]
    res = write_records(tmp_path / "res", records)
    out = tmp_path / "site"
    written, skipped = build_leaderboard(out, res)
    assert skipped == 1  # the random-init record is left out by default
    assert out / "single.html" in written and out / "newproto.html" in written
    return out


def test_pages_mark_and_link(site):
    page = (site / "single.html").read_text(encoding="utf-8")
    assert "<script>" in page and "http" not in page.split("<body>", 1)[1]  # no external resource
    assert 'class="badge measured"' in page and 'class="badge reported"' in page
    assert 'href="records/mine/single/market1501.json"' in page
    record = json.loads((site / "records/mine/single/market1501.json").read_text())
    assert record["method"]["name"] == "mine"
    assert "git unknown" in page and "smoke" not in page
    md = (site / "leaderboard.md").read_text(encoding="utf-8")
    assert "## single" in md and "**measured**: [record](records/mine/single/market1501.json)" in md
    assert "reported: DTTA Table 2" in md
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="newproto.html"' in index and 'href="p2.html"' in index


def test_nonreportable_included_on_request(cli, tmp_path):
    res = write_records(
        tmp_path / "res", [make_record("smoke", "single", "m", target="market1501", synthetic=True)]
    )
    result = cli.invoke(app, ["leaderboard", "--results", str(res), "--out", str(tmp_path / "a")])
    assert result.exit_code == 0 and "left out 1" in result.output
    result = cli.invoke(
        app, ["leaderboard", "--results", str(res), "--out", str(tmp_path / "b"), "--allow-nonreportable"]
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "b" / "single.html").read_text(encoding="utf-8")
    assert "† not reportable" in page and "synthetic data" in page
    assert cli.invoke(app, ["leaderboard", "--results", str(tmp_path / "none")]).exit_code == 2


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
def test_renders_and_sorts_in_headless_chromium(site, tmp_path):
    if CHROMIUM is None:  # under CI the browser test must run, never skip
        pytest.fail(f"CI is set but no Chromium is on PATH (.ci/run installs it): {GET_CHROMIUM}")
    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        browser.open((site / "single.html").as_uri())
        n_rows = browser.evaluate("document.querySelectorAll('#board-single tbody tr').length")
        assert n_rows > 20
        assert browser.evaluate("document.querySelectorAll('#board-single tbody tr.measured').length") == 1
        headers = browser.evaluate(
            "Array.from(document.querySelectorAll('#board-single thead th')).map(h => h.textContent)"
        )
        r1 = headers.index("R1")
        column = (
            f"Array.from(document.querySelectorAll('#board-single tbody tr'))"
            f".map(r => r.cells[{r1}].getAttribute('data-sort'))"
        )
        browser.evaluate(f"document.querySelectorAll('#board-single thead th')[{r1}].click()")
        values = [v for v in browser.evaluate(column) if v]
        numbers = [float(v) for v in values]
        assert numbers == sorted(numbers, reverse=True) and len(numbers) > 10
        assert browser.evaluate(
            "document.querySelector('#board-single tbody tr').classList.contains('measured')"
        )  # 99.9 R1 tops the table
        browser.evaluate(f"document.querySelectorAll('#board-single thead th')[{r1}].click()")
        again = [float(v) for v in browser.evaluate(column) if v]
        assert again == sorted(numbers)
        cells = browser.evaluate(column)
        assert all(cells[: len(again)]) and not any(cells[len(again) :])  # empty cells sort last
        method = headers.index("Method")
        browser.evaluate(f"document.querySelectorAll('#board-single thead th')[{method}].click()")
        rows = "Array.from(document.querySelectorAll('#board-single tbody tr'))"
        assert len(set(browser.evaluate(f"{rows}.map(r => r.cells[{method}].textContent)"))) > 5
        assert browser.evaluate(
            f"{rows}.every((r, i, a) => !i || a[i-1].cells[{method}].textContent"
            f".toLowerCase().localeCompare(r.cells[{method}].textContent.toLowerCase()) <= 0)"
        )
        browser.open((site / "index.html").as_uri())
        assert browser.evaluate("document.querySelectorAll('#protocols tbody tr').length") >= 8
    finally:
        browser.close()
