"""Shared CLI helpers: rich consoles, user-error handling and progress bars."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.errors import HarnessError

out = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

USER_ERROR_EXIT = 2


def handle_errors(func: F) -> F:
    """Print :class:`HarnessError` messages without a traceback and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HarnessError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(USER_ERROR_EXIT) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A hook ``(description, total) -> advance(n)`` drawing one rich bar per phase, images/s included."""
    if not enabled:
        yield lambda description, total: lambda n: None
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:

        def hook(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=total, rate="")

            def advance(n: int) -> None:
                progress.advance(task, n)
                speed = progress.tasks[task].speed
                if speed:
                    progress.update(task, rate=f"{speed:,.0f} img/s")

            return advance

        yield hook
