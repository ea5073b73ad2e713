"""``harness data synth|check|manifest``: the synthetic world, dataset checks, training manifests."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from harness.cli.console import err, handle_errors, out, styled
from harness.errors import ConfigError

app = typer.Typer(
    help="Datasets: synthesize the synthetic world, check datasets on disk, export training sets.",
    no_args_is_help=True,
)

CHECK_FAILED_EXIT = 1


@app.command("synth")
@handle_errors
def synth_command(
    root: Path = typer.Option(..., "--root", help="Folder to write the synthetic datasets into."),
    scale: str = typer.Option("tiny", "--scale", help="tiny (seconds) or small."),
    seed: int = typer.Option(0, "--seed", help="Same seed, byte-identical files."),
    dataset: list[str] = typer.Option(
        None, "--dataset", help="Only these layouts (repeatable); default: all."
    ),
    all_layouts: bool = typer.Option(
        False, "--all", help="Every registered layout (the default when no --dataset is given)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Write into a non-empty folder that is not a synthetic world (existing files are never "
        "overwritten).",
    ),
) -> None:
    """Write a deterministic synthetic person world in the datasets' real on-disk layouts."""
    from harness.data.synth import synthesize

    if all_layouts and dataset:
        raise ConfigError("--all and --dataset exclude each other; give one of them")
    from harness.atomic import on_write_failure

    with on_write_failure(
        "the files written so far are kept (each one complete)",
        "free some space and run the same command again: files already there are kept, the rest written",
    ):
        marker = synthesize(
            root, scale=scale, seed=seed, datasets=list(dataset) if dataset else None, force=force
        )
    table = Table(
        "dataset",
        "split",
        "ids",
        "images",
        title=Text(f"synthetic world at {root} (scale={scale}, seed={seed})"),
    )
    for name, info in marker["datasets"].items():
        for split, counts in info["counts"].items():
            table.add_row(name, split, str(counts["ids"]), str(counts["images"]))
    out.print(table)


def _num(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


@app.command("check")
@handle_errors
def check_command(
    data_root: Path = typer.Option(
        None, "--data-root", help="Folder holding the datasets; default: $HARNESS_DATA."
    ),
    dataset: list[str] = typer.Option(
        None, "--dataset", help="Check only these (repeatable); a named dataset that is missing fails."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Exit non-zero on any count mismatch or problem in a present dataset."
    ),
) -> None:
    """Per dataset: found or missing, layout variant, counts vs canonical, problems with exact paths."""
    from harness.data.check import check_datasets
    from harness.paths import data_root as resolve_data_root

    root = resolve_data_root(data_root)
    statuses = check_datasets(root, list(dataset) if dataset else None)
    summary = Table("dataset", "status", "layout", "counts", "notes", title=Text(f"datasets under {root}"))
    for st in statuses:
        colour = {"found": "green", "missing": "dim", "broken": "red"}[st.status]
        notes = []
        if st.synthetic:
            notes.append("synthetic")
        if st.withdrawn:
            notes.append("withdrawn")
        if st.captions:
            notes.append(f"CMDG captions on {st.captions['captioned']:,} images")
        if st.trials:
            notes.append(f"{st.trials} trials ok")
        counts = "-" if st.status != "found" else ("ok" if st.counts_ok else Text("MISMATCH", style="red"))
        summary.add_row(st.title, Text(st.status, style=colour), st.layout or "-", counts, ", ".join(notes))
    out.print(summary)
    for st in statuses:
        if st.status == "missing" and not st.named:
            continue
        if st.checks:
            table = Table(
                "split",
                "expected ids",
                "found ids",
                "expected images",
                "found images",
                "",
                title=Text(f"{st.title} at {st.root} ({st.layout})"),
            )
            for c in st.checks:
                exp_ids = c.expected.ids if c.expected else None
                exp_images = c.expected.images if c.expected else None
                mark = "ok" if c.ok else Text("MISMATCH", style="red")
                table.add_row(
                    c.split, _num(exp_ids), _num(c.found.ids), _num(exp_images), _num(c.found.images), mark
                )
            out.print(table)
        for problem in st.problems:
            out.print(styled(("problem", "red"), f" {st.title}: {problem}"), soft_wrap=True)
    failed = [st.title for st in statuses if st.failed(strict)]
    if failed:
        err.print(styled(("data check failed:", "bold red"), f" {', '.join(failed)}"))
        raise typer.Exit(CHECK_FAILED_EXIT)


@app.command("manifest")
@handle_errors
def manifest_command(
    protocol: str = typer.Option(..., "--protocol", help="Protocol name or alias."),
    leg: str = typer.Option(None, "--leg", help="Leg to export; may be omitted when all legs share one."),
    out_path: Path = typer.Option(..., "--out", help="Output file: .csv or .parquet."),
    data_root: Path = typer.Option(
        None, "--data-root", help="Folder holding the datasets; default: $HARNESS_DATA."
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail when a source's counts differ."),
    training_option: list[str] = typer.Option(
        None, "--training-option", help="Add a protocol's named extra sources (e.g. synthpedes); repeatable."
    ),
) -> None:
    """Export the exact training set of a protocol leg (ids namespaced, test pids offset, junk out)."""
    from harness.paths import data_root as resolve_data_root
    from harness.protocols import get_protocol
    from harness.protocols.training import (
        export_training_set,
        shared_leg,
        training_set_for_leg,
        with_training_options,
    )
    from harness.safepaths import refuse_overlap

    spec = get_protocol(protocol)
    chosen = with_training_options(spec, shared_leg(spec, leg), list(training_option or []))
    root = resolve_data_root(data_root)
    refuse_overlap(out_path, [root])  # a manifest never lands among the images it lists
    training = training_set_for_leg(spec, chosen, root, strict=strict)
    path = export_training_set(training, out_path)
    table = Table(
        "source", "parts", "ids", "images", "excluded", "layout", title=f"{spec.name} / {chosen.name}"
    )
    for s in training.sources:
        table.add_row(
            s["dataset"],
            "+".join(s["parts"]),
            f"{s['ids']:,}",
            f"{s['images']:,}",
            f"{s['excluded_images']:,}",
            s["layout"],
        )
    table.add_row(
        Text("total", style="bold"), "", f"{training.num_ids:,}", f"{training.num_images:,}", "", ""
    )
    out.print(table)
    out.print(f"training manifest: {path}", markup=False, highlight=False)
