"""``harness check RESULTS --expected FILE``: CI regression of numbers against committed expectations."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from harness.cli.console import err, handle_errors, out, styled

STYLE = {"ok": "green", "improved": "cyan", "regressed": "bold red", "missing": "bold red", "new": "yellow"}
REGRESSION_EXIT = 1


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


@handle_errors
def check_command(
    results: Path = typer.Argument(..., help="Results folder (<method>/<protocol>/<leg>.json)."),
    expected_file: Path = typer.Option(..., "--expected", "-e", help="Expected-numbers YAML file."),
    tol: list[str] = typer.Option(None, "--tol", help="Override a tolerance: METRIC=VALUE (repeatable)."),
    update: bool = typer.Option(
        False, "--update", help="Rewrite the expected file from RESULTS; print the diff."
    ),
    strict: bool = typer.Option(False, "--strict", help="Improvements beyond tolerance fail too."),
) -> None:
    """Compare RESULTS with expected numbers; exit 1 on a regression (2 on bad input)."""
    from harness.errors import ResultError
    from harness.regression import compare, load_expected, update_expected
    from harness.regression.expected import Expected, parse_tolerances
    from harness.reports.measured import load_measured

    overrides = parse_tolerances(list(tol or []))
    measured = load_measured(results)
    if not measured:
        raise ResultError(f"{results}: no result records found")
    if update:
        expected = (
            load_expected(expected_file)
            if expected_file.is_file()
            else Expected(path=expected_file, entries=[])
        )
        expected.tolerances.update(overrides)
        diff = update_expected(expected, measured)
        if diff:
            typer.echo(diff, nl=not diff.endswith("\n"))
        err.print(f"updated {expected_file}" if diff else f"{expected_file}: already up to date")
        return
    summary = compare(load_expected(expected_file), measured, tolerances=overrides, strict=strict)
    table = Table(
        "method",
        "protocol",
        "leg",
        "metric",
        "expected",
        "actual",
        "diff",
        "tol",
        "status",
        title=f"{results} vs {expected_file}",
    )
    for row in summary.rows:
        style = STYLE.get(row.status, "")
        table.add_row(
            row.method,
            row.protocol,
            row.leg,
            row.metric,
            _fmt(row.expected),
            _fmt(row.actual),
            _fmt(row.diff, signed=True),
            _fmt(row.tolerance),
            Text(row.status, style=style),
        )
    out.print(table)
    if summary.passed:
        passed = sum(r.status == "ok" for r in summary.rows)
        out.print(styled(("check passed", "green"), f": {passed} metrics within tolerance"))
        return
    err.print(
        styled(("check failed", "bold red"), f": {len(summary.failures)} metric(s) regressed or missing")
    )
    raise typer.Exit(REGRESSION_EXIT)
