"""Shared CLI helpers: consoles, styled lines, user-error handling, progress and output formats.

Both consoles print every string **literally**: rich markup is off (``markup=False``), so a path,
a protocol part such as ``[train+query]`` or a note is never parsed as a style tag. Styling is
explicit: :func:`styled` builds a line from ``(text, style)`` pieces and table cells take
``rich.text.Text`` objects.

Progress (:func:`progress_bars`) is drawn as rich bars when both stdout and stderr are terminals;
otherwise (a pipe, a log file, CI) it is plain lines on stderr at a steady rate: every 10 % of a
phase or every 30 s, whichever comes first, with the speed (img/s, captions/s, or "(cached)" for
items read from the cache) and the ETA.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, TextIO, TypeVar

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from harness.errors import HarnessError
from harness.pipeline.options import ProgressHook, no_progress

out = Console(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

USER_ERROR_EXIT = 2
PLAIN_EVERY_FRACTION = 0.10
PLAIN_EVERY_SECONDS = 30.0


def styled(*pieces: str | tuple[str, str]) -> Text:
    """One line from literal pieces: ``"text"`` unstyled or ``("text", "style")``; no markup parsing."""
    return Text.assemble(*pieces)


def handle_errors(func: F) -> F:
    """Print :class:`HarnessError` messages without a traceback and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HarnessError as exc:
            err.print(styled(("error:", "bold red"), f" {exc}"), soft_wrap=True)
            raise typer.Exit(USER_ERROR_EXIT) from None

    return wrapper  # type: ignore[return-value]


# -- output formats ---------------------------------------------------------------------------------


class OutputFormat(StrEnum):
    """``--format`` of listing commands: a table for people, CSV or JSON for programs."""

    table = "table"
    csv = "csv"
    json = "json"


FORMAT_HELP = "table (for people), csv or json (for programs; full values, one row per item)."


WORD_WIDTH = 12
"""Non-key columns keep at least this many characters (or their longest word) before folding."""


def key_table(
    *columns: str,
    keys: int = 1,
    title: str | None = None,
    widths: Sequence[int] = (),
    words: Sequence[int] = (),
) -> Table:
    """A rich table whose first ``keys`` columns (names, legs) are never cut or wrapped.

    ``widths`` are the longest values of those key columns; the other columns wrap at spaces (and
    fold a word only when it is longer than the room left), so ``harness list methods | grep
    clip-reid`` finds the name at 80 columns. ``words`` are each column's longest word.
    """
    table = Table(title=title)
    key_widths = [max(len(c), widths[i] if i < len(widths) else 0) for i, c in enumerate(columns[:keys])]
    wanted = [min(max(words[i] if i < len(words) else 0, len(c)), WORD_WIDTH) for i, c in enumerate(columns)]
    wanted = wanted[keys:]
    room = out.width - sum(key_widths) - (3 * len(columns) + 1)  # borders and padding
    floors = [max(4, _longest_word(c)) for c in columns[keys:]]  # a header breaks at spaces only
    while sum(wanted) > room:  # shrink the widest until they fit
        shrinkable = [i for i, width in enumerate(wanted) if width > floors[i]]
        if not shrinkable:
            break
        wanted[max(shrinkable, key=lambda i: wanted[i])] -= 1
    for column, width in zip(columns[:keys], key_widths, strict=True):
        table.add_column(column, no_wrap=True, min_width=width, overflow="ignore")
    for column, width in zip(columns[keys:], wanted, strict=True):
        table.add_column(column, overflow="fold", min_width=width)
    return table


def print_table(table: Table, console: Console | None = None, *, whole_words: bool = False) -> None:
    """Print ``table``; if the non-key columns' minimum widths would push it past the console's
    width (rich then crops the right edge), shrink them to their header's longest word (headers
    break at spaces only), and if that is still too wide let those columns fold.

    ``whole_words``: no word of any cell may be broken (numbers, counts); when the columns' longest
    words do not fit, print one plain line per row instead (``key: header value  header value``).
    """
    console = console or out
    if whole_words and not fits_whole_words(table, console):
        _plain_rows(table, console)
        return
    if _too_wide(table, console.width):
        for column in table.columns:
            if not column.no_wrap:
                column.min_width = _longest_word(_plain(column.header))
        if _too_wide(table, console.width):
            for column in table.columns:
                if not column.no_wrap:
                    column.min_width = None
    console.print(table)


def fits_whole_words(table: Table, console: Console | None = None) -> bool:
    """Whether ``table`` fits the console's width with no word of any cell broken (it keeps the
    columns' minimum widths at their longest words). A command that prints its own plain lines when
    it does not fit asks this; :func:`print_table` with ``whole_words`` does so itself."""
    for column in table.columns:
        if not column.no_wrap:
            words = [_longest_word(_plain(c)) for c in (column.header, *column.cells)]
            column.min_width = max(words)
    return not _too_wide(table, (console or out).width)


def _too_wide(table: Table, width: int) -> bool:
    probe = Console(width=width, file=io.StringIO(), markup=False, highlight=False)
    with probe.capture() as captured:
        probe.print(table, crop=False)
    return max(map(cell_len, captured.get().splitlines()), default=0) > width


def _plain_rows(table: Table, console: Console) -> None:
    """The table as plain lines: its title, then ``key: header value  header value`` per row."""
    if table.title:
        console.print(_plain(table.title), soft_wrap=True)
    keys = [c for c in table.columns if c.no_wrap] or table.columns[:1]
    rest = [c for c in table.columns if c not in keys]
    for row in range(table.row_count):
        key = " ".join(_plain(list(c.cells)[row]) for c in keys)
        cells = "  ".join(f"{_plain(c.header)} {_plain(list(c.cells)[row])}" for c in rest)
        console.print(f"{key}: {cells}", soft_wrap=True)


def _plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _longest_word(text: str) -> int:
    return max(map(cell_len, text.split()), default=0)


def emit_rows(
    fmt: OutputFormat,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    keys: int = 1,
    title: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Print ``rows`` as a table (key columns never cut), CSV (header row) or a JSON list of objects."""
    if fmt is OutputFormat.table:
        # a list in a key column (aliases) is one name a line, so no name is ever broken
        rows = [[_key_cell(c) if i < keys else c for i, c in enumerate(row)] for row in rows]
        lines = [[x for r in rows for x in _cell(r[i]).splitlines()] for i in range(keys)]
        widths = [max(map(len, cells), default=0) for cells in lines]
        words = [
            max((len(w) for r in rows for w in _cell(r[i]).split()), default=0) for i in range(len(columns))
        ]
        table = key_table(*columns, keys=keys, title=title, widths=widths, words=words)
        for row in rows:
            table.add_row(*(cell if isinstance(cell, Text) else Text(_cell(cell)) for cell in row))
        print_table(table)
        return
    stream = stream or sys.stdout
    plain = [[cell.plain if isinstance(cell, Text) else cell for cell in row] for row in rows]
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(c) for c in row] for row in plain])
        stream.write(buffer.getvalue())
    else:
        stream.write(json.dumps([dict(zip(columns, row, strict=True)) for row in plain], indent=2) + "\n")
    stream.flush()


def _key_cell(value: Any) -> Any:
    return "\n".join(map(str, value)) if isinstance(value, list | tuple) else value


def _cell(value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


# -- progress ---------------------------------------------------------------------------------------


def interactive() -> bool:
    """Whether progress may be drawn as live bars: both stdout and stderr are terminals."""
    return out.is_terminal and err.is_terminal


@contextmanager
def progress_bars(enabled: bool = True, *, plain: bool | None = None) -> Iterator[ProgressHook]:
    """A hook ``(description, total) -> advance(n)``: rich bars on a terminal, else plain lines.

    ``plain`` forces the plain-line mode (default: plain unless :func:`interactive`).
    """
    if not enabled:
        yield no_progress
        return
    if plain is None:
        plain = not interactive()
    if plain:
        yield plain_progress(err.file)
        return
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:

        def hook(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=total, rate="")
            unit = rate_unit(description)

            def advance(n: int) -> None:
                progress.advance(task, n)
                speed = progress.tasks[task].speed
                if speed:
                    progress.update(task, rate=f"{speed:,.0f} {unit}")

            def cached(n: int) -> None:  # read from the cache: no speed to show
                progress.update(task, advance=n, rate="(cached)")

            advance.cached = cached  # type: ignore[attr-defined]
            return advance

        yield hook


def plain_progress(
    stream: TextIO,
    *,
    clock: Callable[[], float] = time.monotonic,
    every_fraction: float = PLAIN_EVERY_FRACTION,
    every_seconds: float = PLAIN_EVERY_SECONDS,
) -> ProgressHook:
    """Plain progress lines (for pipes and logs): a line each ``every_fraction`` of the phase or
    ``every_seconds``, whichever comes first, and one at the end, each with images/s and the ETA."""

    def hook(description: str, total: int) -> Callable[[int], None]:
        start = clock()
        state = {"done": 0, "cached": 0, "next_fraction": every_fraction, "last_line": start}
        unit = rate_unit(description)

        def line(now: float) -> None:
            done, cached = state["done"], state["cached"]
            elapsed = max(now - start, 1e-9)
            rate = (done - cached) / elapsed  # only computed items have a speed
            percent = 100.0 * done / total if total else 100.0
            eta = (total - done) / rate if rate > 0 else None
            eta_text = "done" if done >= total else ("ETA ?" if eta is None else f"ETA {_duration(eta)}")
            if done - cached == 0 and cached:
                speed = "(cached)"
            else:
                speed = f"{rate:,.1f} {unit}" + (f" ({cached} cached)" if cached else "")
            stream.write(
                f"{description}: {done}/{total} ({percent:.0f}%) {speed}, "
                f"elapsed {_duration(elapsed)}, {eta_text}\n"
            )
            stream.flush()
            state["last_line"] = now

        def cached(n: int) -> None:
            state["cached"] += n
            advance(n)

        def advance(n: int) -> None:
            state["done"] += n
            now = clock()
            fraction = state["done"] / total if total else 1.0
            if state["done"] >= total or fraction >= state["next_fraction"]:
                while state["next_fraction"] <= fraction:
                    state["next_fraction"] += every_fraction
                line(now)
            elif now - state["last_line"] >= every_seconds:
                line(now)

        advance.cached = cached  # type: ignore[attr-defined]
        return advance

    return hook


def rate_unit(description: str) -> str:
    """The speed unit of a progress phase: ``captions/s`` when it encodes captions, else ``img/s``."""
    return "captions/s" if "caption" in description else "img/s"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class NoteLog:
    """Prints each distinct note once per run (many legs share the same notes)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or out
        self.seen: set[str] = set()

    def __call__(self, note: str, *, indent: str = "  ") -> None:
        if note in self.seen:
            return
        self.seen.add(note)
        self.console.print(styled((f"{indent}note: {note}", "dim")), soft_wrap=True)
