"""``harness report``: listing, formats, --out, measured rows and user errors."""

from __future__ import annotations

from harness.cli.app import app
from tests.reports.records import make_record, write_records


def test_list(cli):
    result = cli.invoke(app, ["report", "--list"])
    assert result.exit_code == 0, result.output
    assert "retext-t6" in result.output and "dgcmia-t3" in result.output


def test_latex_to_file(cli, tmp_path):
    out = tmp_path / "t.tex"
    result = cli.invoke(app, ["report", "--table", "dmf-t2", "--format", "latex", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("% Requires") and r"\bottomrule" in text


def test_measured_and_nonreportable(cli, tmp_path):
    rec = make_record("mine", "single", "market1501", target="market1501", synthetic=True)
    res = write_records(tmp_path / "res", [rec])
    refused = cli.invoke(app, ["report", "-t", "dtta-t2", "--with-measured", str(res)])
    assert refused.exit_code == 2 and "--allow-nonreportable" in refused.output
    shown = cli.invoke(app, ["report", "-t", "dtta-t2", "--with-measured", str(res), "--allow-nonreportable"])
    assert shown.exit_code == 0, shown.output
    assert "mine (measured, single)†" in shown.output


def test_errors(cli, tmp_path):
    assert cli.invoke(app, ["report"]).exit_code == 2
    bad = cli.invoke(app, ["report", "-t", "retext-t6", "-f", "docx"])
    assert bad.exit_code == 2 and "md, latex, csv, html" in bad.output
    missing = cli.invoke(app, ["report", "-t", "retext-t6", "--with-measured", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no such results folder" in missing.output
