"""``harness list methods|protocols|datasets``."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.table import Table

from harness.cli.console import handle_errors, out


class Kind(StrEnum):
    methods = "methods"
    protocols = "protocols"
    datasets = "datasets"


@handle_errors
def list_command(
    kind: Kind = typer.Argument(..., help="What to list: methods, protocols or datasets."),
) -> None:
    """List the registered methods, protocols or datasets."""
    if kind is Kind.methods:
        from harness.methods import METHODS

        table = Table(
            "method", "aliases", "title", "family", "modalities", "input", "weights", title="Methods"
        )
        for name in METHODS.names():
            card = METHODS.get(name)
            table.add_row(
                name,
                ", ".join(card.aliases),
                card.title,
                card.family,
                "+".join(card.modalities),
                "x".join(map(str, card.input_size)),
                "none needed" if card.weights_free else "checkpoint",
            )
    elif kind is Kind.protocols:
        from harness.protocols import PROTOCOLS

        table = Table("protocol", "version", "aliases", "title", "legs", title="Protocols")
        for name in PROTOCOLS.names():
            spec = PROTOCOLS.get(name)
            table.add_row(
                name,
                str(spec.version),
                ", ".join(spec.aliases),
                spec.title,
                ", ".join(leg.name for leg in spec.legs),
            )
    else:
        from harness.data.registry import DATASETS

        table = Table("dataset", "aliases", "title", "layouts", title="Datasets")
        for name in DATASETS.names():
            reader = DATASETS.get(name)
            title = reader.title + (" [yellow](withdrawn)[/]" if reader.withdrawn else "")
            table.add_row(
                name,
                ", ".join(DATASETS.aliases_of(name)),
                title,
                ", ".join(layout.variant for layout in reader.layouts),
            )
    out.print(table)
