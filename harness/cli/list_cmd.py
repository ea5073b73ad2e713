"""``harness list methods|protocols|datasets [--format table|csv|json]``."""

from __future__ import annotations

from enum import StrEnum

import typer

from harness.cli.console import FORMAT_HELP, OutputFormat, emit_rows, err, handle_errors, styled


class Kind(StrEnum):
    methods = "methods"
    protocols = "protocols"
    datasets = "datasets"


@handle_errors
def list_command(
    kind: Kind = typer.Argument(..., help="What to list: methods, protocols or datasets."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """List the registered methods, protocols or datasets (names are never cut, at any width).

    Every method card's architecture family is checked (a built-in name, or an importable
    ``package.module:callable``); a bad one is reported on stderr and the exit status is 2.
    """
    problems: list[str] = []
    keys = 1
    if kind is Kind.methods:
        from harness.errors import HarnessError
        from harness.methods import METHODS
        from harness.models.external import check_family

        columns = ["method", "aliases", "title", "family", "modalities", "input", "weights"]
        rows = []
        for name in METHODS.names():
            card = METHODS.get(name)
            try:
                check_family(card)
            except HarnessError as exc:
                problems.append(str(exc))
            rows.append(
                [
                    name,
                    list(card.aliases),
                    card.title,
                    card.family,
                    "+".join(card.modalities),
                    "x".join(map(str, card.input_size)),
                    "none needed" if card.weights_free else "checkpoint",
                ]
            )
        title = "Methods"
        if fmt is OutputFormat.table:  # 80 columns: fold modalities, input and weights into one cell
            columns = ["method", "aliases", "family", "input", "title"]
            rows = [
                [
                    r[0],
                    r[1],
                    r[3],
                    f"{r[4]} {r[5]}" + (" (no weights)" if r[6] == "none needed" else ""),
                    r[2],
                ]
                for r in rows
            ]
        keys = 2  # aliases are names too: never broken mid-word
    elif kind is Kind.protocols:
        from harness.protocols import PROTOCOLS

        columns = ["protocol", "version", "aliases", "title", "legs"]
        rows = []
        for name in PROTOCOLS.names():
            spec = PROTOCOLS.get(name)
            rows.append(
                [
                    name,
                    str(spec.version),
                    list(spec.aliases),
                    spec.title,
                    [leg.name for leg in spec.legs],
                ]
            )
        title = "Protocols"
    else:
        from harness.data.registry import DATASETS

        columns = ["dataset", "aliases", "title", "withdrawn", "layouts"]
        rows = []
        for name in DATASETS.names():
            reader = DATASETS.get(name)
            rows.append(
                [
                    name,
                    DATASETS.aliases_of(name),
                    reader.title,
                    bool(reader.withdrawn),
                    [layout.variant for layout in reader.layouts],
                ]
            )
        title = "Datasets"
        keys = 2
    emit_rows(fmt, columns, rows, keys=keys, title=title)
    for problem in problems:
        err.print(styled(("error:", "bold red"), f" {problem}"), soft_wrap=True)
    if problems:
        raise typer.Exit(2)
