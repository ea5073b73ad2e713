"""``harness leaderboard``: the static leaderboard site (HTML per protocol + Markdown)."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import err, handle_errors, out, styled


@handle_errors
def leaderboard_command(
    results: Path = typer.Option(
        None, "--results", help="Results folder whose records are added as measured."
    ),
    out_dir: Path = typer.Option(
        Path("reports/leaderboard"), "--out", "-o", help="Folder the site is written to."
    ),
    allow_nonreportable: bool = typer.Option(
        False, "--allow-nonreportable", help="Include random-init or synthetic-data records (marked †)."
    ),
) -> None:
    """Build the leaderboard: reported numbers beside measured ones, one sortable page per protocol."""
    from harness.errors import ResultError
    from harness.reports.leaderboard import build_leaderboard

    if results is not None and not results.is_dir():
        raise ResultError(f"{results}: no such results folder")
    written, skipped = build_leaderboard(out_dir, results, allow_nonreportable=allow_nonreportable)
    if skipped:
        err.print(
            styled(
                ("note:", "yellow"),
                f" left out {skipped} not-reportable record(s) (random-init or synthetic data); "
                "--allow-nonreportable includes them, marked †",
            )
        )
    out.print(
        f"leaderboard: {len(written) - 2} protocol page(s), open {out_dir / 'index.html'}", highlight=False
    )
