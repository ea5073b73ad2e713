"""``harness check RESULTS --expected FILE``: CI regression of numbers against committed expectations.

By default only the rows that fail (and the improved ones) are listed, then a one-line summary;
``--verbose`` lists every row. ``--format csv|json`` prints the rows for pipes and scripts (every
row, plain text, no colour). Records of another synthetic world than the expected file's
(``run.world``) are refused with one line saying so.

An entry and a record are compared when their record identities are equal
(:class:`harness.results.identity.RecordKey`: the identity of the record's path, the paper tables and
the leaderboard). A missing entry with a record of the same method, protocol and leg in another
protocol version or settings gets one line naming that record and what differs.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import typer
from rich.text import Text

from harness.cli.console import (
    OutputFormat,
    err,
    fits_whole_words,
    handle_errors,
    key_table,
    out,
    print_table,
    styled,
)

STYLE = {"ok": "green", "improved": "cyan", "regressed": "bold red", "missing": "bold red", "new": "yellow"}
REGRESSION_EXIT = 1
COLUMNS = ("method", "protocol", "leg", "metric", "expected", "actual", "diff", "tol", "status")
"""The table's columns; ``--format csv|json`` add ``note`` (why a missing entry found no record)."""


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def world_mismatch(expected, measured) -> str | None:
    """One line when the records' synthetic world differs from the expected file's ``run.world``."""
    from harness.regression.expected import world_of

    want = world_of(expected)
    if not want:
        return None
    found = Counter((m.world["scale"], m.world["seed"]) for m in measured if m.world is not None)
    wrong = {w: n for w, n in found.items() if w != (want.get("scale"), want.get("seed"))}
    if not wrong:
        return None
    worlds = ", ".join(f"scale={s} seed={d} ({n} records)" for (s, d), n in sorted(wrong.items()))
    return (
        f"{expected.path} holds numbers for the synthetic world scale={want.get('scale')} "
        f"seed={want.get('seed')}, but the results come from {worlds}: re-run on that world "
        f"(harness data synth --scale {want.get('scale')} --seed {want.get('seed')}) or use another "
        "expected file"
    )


def _rows(summary, verbose: bool) -> list:
    if verbose:
        return list(summary.rows)
    shown = {"regressed", "missing", "improved"}
    return [r for r in summary.rows if r.status in shown]


def _summary_line(summary) -> str:
    counts = Counter(r.status for r in summary.rows)
    parts = [f"{counts[s]} {s}" for s in ("ok", "regressed", "missing", "improved", "new") if counts[s]]
    return f"{len(summary.rows)} metrics: " + ", ".join(parts)


@handle_errors
def check_command(
    results: Path = typer.Argument(..., help="Results folder (harness run --out)."),
    expected_file: Path = typer.Option(..., "--expected", "-e", help="Expected-numbers YAML file."),
    tol: list[str] = typer.Option(None, "--tol", help="Override a tolerance: METRIC=VALUE (repeatable)."),
    update: bool = typer.Option(
        False, "--update", help="Rewrite the expected file from RESULTS; print the diff."
    ),
    strict: bool = typer.Option(False, "--strict", help="Improvements beyond tolerance fail too."),
    verbose: bool = typer.Option(False, "--verbose", help="List every compared metric, not only failures."),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="table, csv or json (csv/json: every row, for programs)."
    ),
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
        err.print(
            f"updated {expected_file}" if diff else f"{expected_file}: already up to date", highlight=False
        )
        return
    expected = load_expected(expected_file)
    if mismatch := world_mismatch(expected, measured):
        raise ResultError(mismatch)
    summary = compare(expected, measured, tolerances=overrides, strict=strict)
    if fmt is OutputFormat.table:
        _print_table(summary, verbose, f"{results} vs {expected_file}")
    else:
        typer.echo(_render(summary.rows, fmt), nl=False)
    line = _summary_line(summary)
    console = out if fmt is OutputFormat.table else err  # csv/json keep stdout machine-readable
    for note in summary.notes:  # a record of another protocol version or settings: never compared
        console.print(note, highlight=False, soft_wrap=True)
    if summary.passed:
        console.print(styled(("check passed", "green"), f": {line}"))
        return
    failed = f"{len(summary.failures)} metric(s) regressed or missing"
    console.print(styled(("check failed", "bold red"), f": {failed}; {line}"))
    raise typer.Exit(REGRESSION_EXIT)


def _cells(row) -> list[str]:
    return [
        row.method,
        row.protocol,
        row.leg,
        row.metric,
        _fmt(row.expected),
        _fmt(row.actual),
        _fmt(row.diff, signed=True),
        _fmt(row.tolerance),
        row.status,
    ]


def _print_table(summary, verbose: bool, title: str) -> None:
    """The rows as a table when it fits the console with no word broken, else as plain lines (a CI
    log's 80 columns would squeeze the numbers to a character each): ``STATUS method protocol leg
    metric: expected E, actual A (diff D, tol T)``, names never cut."""
    rows = _rows(summary, verbose)
    if not rows:
        return
    cells = [_cells(row) for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    table = key_table(*COLUMNS, keys=3, title=title, widths=widths)  # names are never cut (grep-able)
    for row, row_cells in zip(rows, cells, strict=True):
        table.add_row(*row_cells[:-1], Text(row_cells[-1], style=STYLE.get(row.status, "")))
    if fits_whole_words(table):
        print_table(table)
        return
    out.print(title, highlight=False, soft_wrap=True)
    for row, c in zip(rows, cells, strict=True):
        line = f"{c[0]} {c[1]} {c[2]} {c[3]}: expected {c[4]}, actual {c[5]} (diff {c[6]}, tol {c[7]})"
        out.print(styled((f"{row.status:<9}", STYLE.get(row.status, "")), f" {line}"), soft_wrap=True)


def _render(rows, fmt: OutputFormat) -> str:
    payload = [
        {
            "method": r.method,
            "protocol": r.protocol,
            "leg": r.leg,
            "metric": r.metric,
            "expected": r.expected,
            "actual": r.actual,
            "diff": r.diff,
            "tolerance": r.tolerance,
            "status": r.status,
            "note": r.note,
        }
        for r in rows
    ]
    if fmt is OutputFormat.json:
        return json.dumps(payload, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, "note"])  # the table's "tol" column is "tolerance" in JSON
    writer.writerows([list(row.values()) for row in payload])
    return buffer.getvalue()
