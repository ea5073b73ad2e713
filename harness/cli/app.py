"""The ``harness`` Typer application: registers every subcommand module."""

from __future__ import annotations

import logging

import typer

from harness import __version__
from harness.cli import (
    cache_cmd,
    check_cmd,
    compare_cmd,
    data_cmd,
    demo_cmd,
    leaderboard_cmd,
    list_cmd,
    plot_cmd,
    profile_cmd,
    report_cmd,
    run_cmd,
    show_cmd,
    text_cmd,
)

app = typer.Typer(
    name="harness",
    help="reid-harness: fair, reproducible benchmarks for generalizable and text-based person ReID.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("list")(list_cmd.list_command)
app.command("run")(run_cmd.run_command)
app.command("demo")(demo_cmd.demo_command)
app.command("report")(report_cmd.report_command)
app.command("check")(check_cmd.check_command)
app.command("compare")(compare_cmd.compare_command)
app.command("leaderboard")(leaderboard_cmd.leaderboard_command)
app.command("profile")(profile_cmd.profile_command)
app.add_typer(data_cmd.app, name="data")
app.add_typer(show_cmd.app, name="show")
app.add_typer(plot_cmd.app, name="plot")
app.add_typer(cache_cmd.app, name="cache")
app.add_typer(text_cmd.app, name="text")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reid-harness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    """Fair, reproducible benchmarks for generalizable and text-based person ReID."""
    from rich.logging import RichHandler

    from harness.cli.console import err

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
        force=True,
    )


def main() -> None:
    """Console-script entry point."""
    app()
