"""``harness report --table NAME``: a seed paper's table in its own layout, optionally with measured rows."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harness.cli.console import err, handle_errors, out, styled


@handle_errors
def report_command(
    table: str = typer.Option(None, "--table", "-t", help="Table name, e.g. retext-t6 (see --list)."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, latex, csv or html."),
    with_measured: Path = typer.Option(
        None, "--with-measured", help="Results folder whose records are placed beside the reported rows."
    ),
    allow_nonreportable: bool = typer.Option(
        False,
        "--allow-nonreportable",
        help="Show measured results from random-init weights or synthetic data (marked with †).",
    ),
    ci: bool = typer.Option(
        False,
        "--ci",
        help="Measured numbers with ± their 95% bootstrap interval, and * / ° where a paired test finds "
        "one measured method significantly better / worse than another in the same cell.",
    ),
    out_file: Path = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    list_tables: bool = typer.Option(False, "--list", help="List the available tables."),
    fillable: bool = typer.Option(
        False,
        "--fillable",
        help="Which cells of each table (or of --table) a run can fill, and why not (--format md or csv).",
    ),
) -> None:
    """Render a reported table (best bold, second underlined), with measured rows and deltas if asked."""
    from harness.errors import ConfigError
    from harness.reports.build import build_table
    from harness.reports.measured import load_measured
    from harness.reports.names import table_names
    from harness.reports.render import FORMATS, render

    if fillable:
        from harness.reports.fillability import fillability_csv, fillability_markdown

        if table is not None and table not in {t.name for t in table_names()}:
            raise ConfigError(f"--table {table!r}: no such table (see harness report --list)")
        if fmt not in ("md", "csv"):
            raise ConfigError(f"--fillable --format {fmt!r}: expected md or csv")
        names = None if table is None else [table]
        typer.echo((fillability_csv if fmt == "csv" else fillability_markdown)(names), nl=False)
        return
    if list_tables:
        listing = Table("table", "label", "kind", "caption", title="Tables (harness report --table NAME)")
        for t in table_names():
            listing.add_row(t.name, f"{t.paper} {t.label}", t.kind, t.caption)
        out.print(listing)
        return
    if not table:
        raise ConfigError("give --table NAME (or --list to see the tables)")
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    measured = load_measured(with_measured) if with_measured else None
    built = build_table(table, measured, allow_nonreportable=allow_nonreportable)
    if ci and measured:
        from harness.reports.significance import annotate_measured

        annotate_measured(built, measured)
    if measured is not None:
        placed = any(r.kind == "measured" for r in built.rows()) or any(
            c.measured_method for c in built.columns
        )
        if not placed:
            err.print(
                styled(("warning:", "yellow"), f" no record in {with_measured} fills a cell of {built.name}")
            )
        for line in built.unplaced:
            err.print(styled(("not placed:", "dim"), f" {line}"))
    text = render(built, fmt)
    if out_file:
        from harness.atomic import same_first_line, write_owned
        from harness.safepaths import refuse_overlap

        if with_measured:
            refuse_overlap(out_file, [with_measured])
        data = text.encode("utf-8")
        write_owned(out_file, lambda tmp: tmp.write_bytes(data), what="a table", ours=same_first_line(data))
        err.print(f"wrote {out_file}")
    else:
        typer.echo(text, nl=False)
