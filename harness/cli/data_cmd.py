"""``harness data ...``: make the synthetic world (and, later, check datasets and export manifests)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harness.cli.console import handle_errors, out

app = typer.Typer(help="Datasets: synthesize the built-in synthetic world.", no_args_is_help=True)


@app.command("synth")
@handle_errors
def synth_command(
    root: Path = typer.Option(..., "--root", help="Folder to write the synthetic datasets into."),
    scale: str = typer.Option("tiny", "--scale", help="tiny (seconds) or small."),
    seed: int = typer.Option(0, "--seed", help="Same seed, byte-identical files."),
    dataset: list[str] = typer.Option(
        None, "--dataset", help="Only these layouts (repeatable); default: all."
    ),
) -> None:
    """Write a deterministic synthetic person world in the datasets' real on-disk layouts."""
    from harness.data.synth import synthesize

    marker = synthesize(root, scale=scale, seed=seed, datasets=list(dataset) if dataset else None)
    table = Table(
        "dataset", "split", "ids", "images", title=f"synthetic world at {root} (scale={scale}, seed={seed})"
    )
    for name, info in marker["datasets"].items():
        for split, counts in info["counts"].items():
            table.add_row(name, split, str(counts["ids"]), str(counts["images"]))
    out.print(table)
