"""The ``harness`` Typer application: registers every subcommand module."""

from __future__ import annotations

import logging

import click
import typer
from typer.core import TyperGroup

from harness import __version__
from harness.cli import (
    cache_cmd,
    check_cmd,
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

_RESUME_FROM_CACHE = (
    "embedding chunks finished before the failure are kept in the cache, and records of finished "
    "legs are kept",
    "free some space (or pass --out/--cache-dir on another disk) and run the same command again: "
    "it resumes from the cache",
)
WRITE_FAILURE_NOTES: dict[str, tuple[str, str]] = {
    "run": _RESUME_FROM_CACHE,
    "demo": _RESUME_FROM_CACHE,
    "text": _RESUME_FROM_CACHE,
}
USER_ERROR_EXIT = 2


def _one_line(exc: BaseException) -> str:
    """An OS-level failure or exhausted memory that escaped a command, as the line the user sees."""
    import errno

    from harness.atomic import write_failure
    from harness.safepaths import display

    if isinstance(exc, MemoryError):
        return (
            "ran out of memory: the inputs are larger than this machine can hold "
            "(use smaller inputs, a smaller --batch-size, or a machine with more memory)"
        )
    if not isinstance(exc, OSError) or not exc.filename:
        return f"{type(exc).__name__}: {exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG):
        failure = write_failure(exc.filename, exc)
        if failure is not None:
            return str(failure)
    where = display(exc.filename)
    if getattr(exc, "filename2", None):
        where += f" -> {display(exc.filename2)}"
    return f"{where}: {exc.strerror or exc}"


def _out_of_memory(exc: BaseException) -> bool:
    text = str(exc)
    return "can't allocate memory" in text or "out of memory" in text.lower()


class HarnessGroup(TyperGroup):
    """The root command group: a failure of the operating system (no permission, disk full,
    read-only file system, a file where a folder must be) or an exhausted memory that escapes a
    command is printed as one ``error:`` line (exit status 2), never as a traceback."""

    def invoke(self, ctx: click.Context):
        from harness.atomic import DEFAULT_KEPT, DEFAULT_RESUME, on_write_failure

        words = [*getattr(ctx, "_protected_args", []), *ctx.args]
        kept, resume = WRITE_FAILURE_NOTES.get(words[0] if words else "", (DEFAULT_KEPT, DEFAULT_RESUME))
        try:
            with on_write_failure(kept, resume):
                return super().invoke(ctx)
        except RuntimeError as exc:  # torch reports an exhausted allocator as a RuntimeError
            if not _out_of_memory(exc):
                raise
            from harness.cli.console import err

            err.print(f"error: {_one_line(MemoryError())}", highlight=False, markup=False, soft_wrap=True)
            ctx.exit(USER_ERROR_EXIT)
        except (OSError, MemoryError) as exc:
            from harness.cli.console import err

            logging.getLogger("harness").debug("traceback of the error below (--verbose)", exc_info=True)
            err.print(f"error: {_one_line(exc)}", highlight=False, markup=False, soft_wrap=True)
            ctx.exit(USER_ERROR_EXIT)


app = typer.Typer(
    cls=HarnessGroup,
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
