"""``harness text report``: a thin alias of ``harness report --table dgcmia-t2 --with-measured`` (and
``harness plot textmask``): text records go through the one record reader, table path and plot.
``harness text complexity``: a thin alias of ``harness profile --format md`` with seed 004 Table 3's
test set (:mod:`harness.reports.complexity` builds the table; the options keep their names)."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import handle_errors
from harness.errors import ConfigError
from harness.profiling.test_set import CUHK_PEDES_TEST

app = typer.Typer(help="Text-to-image retrieval tools.", no_args_is_help=True)

COMPLEXITY_WARMUP = 2
"""Untimed calls before each timing in ``harness text complexity`` (as before it became an alias)."""
TEXTMASK_TABLE = "dgcmia-t2"
"""Seed 004 Table 2 (query-text masking), where measured text-mask records land."""


@app.command("report")
@handle_errors
def report_command(
    results: Path = typer.Option(..., "--results", help="Folder of result records (harness run --out)."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, latex, csv or html."),
    plot: Path = typer.Option(
        None, "--plot", help="Also draw the robustness curves: PATH.png and PATH.svg (suffix dropped)."
    ),
    allow_nonreportable: bool = typer.Option(
        False,
        "--allow-nonreportable",
        help="Show measured results from random-init weights or synthetic data (marked with †).",
    ),
) -> None:
    """Alias of `harness report --table dgcmia-t2 --with-measured RESULTS` (seed 004 Table 2 with the
    measured text-mask columns) and, with --plot, `harness plot textmask --results RESULTS`."""
    from harness.cli.plot_cmd import textmask
    from harness.cli.report_cmd import report_command as report

    report(
        table=TEXTMASK_TABLE,
        fmt=fmt,
        with_measured=results,
        allow_nonreportable=allow_nonreportable,
        out_file=None,
        list_tables=False,
        fillable=False,
        ci=False,
    )
    if plot is not None:
        base = plot.with_suffix("") if plot.suffix else plot
        textmask(results=results, csv=None, reported=True, out=base.parent, name=base.name)


@app.command("complexity")
@handle_errors
def complexity_command(
    method: list[str] = typer.Option(..., "--method", "-m", help="Method name or alias (repeatable)."),
    random_init: bool = typer.Option(
        False,
        "--random-init",
        help="Random weights for methods that need a checkpoint (cost does not depend on them).",
    ),
    weights: list[str] = typer.Option(
        None, "--weights", help="METHOD=PATH checkpoint for one method (repeatable); else --random-init."
    ),
    input_size: str = typer.Option(
        "x".join(map(str, CUHK_PEDES_TEST["input_size"])), "--input", help="HEIGHTxWIDTH of the test images."
    ),
    texts: int = typer.Option(
        CUHK_PEDES_TEST["texts"], "--texts", min=0, help="Captions in the test set (CUHK-PEDES: 6,156)."
    ),
    images: int = typer.Option(
        CUHK_PEDES_TEST["images"], "--images", min=0, help="Images in the test set (CUHK-PEDES: 3,074)."
    ),
    measure_all: bool = typer.Option(
        False, "--measure-all", help="Encode every text and image instead of extrapolating from throughput."
    ),
    device: str = typer.Option(None, "--device", help="cpu or cuda[:N]; default: cuda when available."),
    dtype: str = typer.Option(None, "--dtype", help="fp32, fp16 or bf16; default: each method's own."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Batch of the timed encodes."),
    iters: int = typer.Option(
        5, "--iters", min=1, help="Timed calls per latency; throughput takes max(3, ITERS // 2) batches."
    ),
    results: Path = typer.Option(
        None, "--results", help="Results folder: add R1/mAP of each method's t2i record on --dataset."
    ),
    dataset: str = typer.Option("cuhk-pedes", "--dataset", help="Test set of the R1/mAP columns."),
    fmt: str = typer.Option("md", "--format", help="md, latex, csv (footnotes on stderr) or html."),
    trust_checkpoint: bool = typer.Option(
        False, "--trust-checkpoint", help="Allow full pickles in --weights checkpoints (can run code)."
    ),
) -> None:
    """Alias of `harness profile --format md --test-texts 6156 --test-images 3074 --input 384x128
    --iters 5 --warmup 2 -m M ...` (seed 004 Table 3: params, FLOPs per image / per text, inference
    time over the test set, one row per --method), with --own-weights unless --random-init is given;
    the options pass through."""
    from harness.cli.profile_cmd import TABLE_FORMATS, profile_command

    if fmt not in TABLE_FORMATS:
        raise ConfigError(f"--format {fmt!r}: expected one of {', '.join(TABLE_FORMATS)}")
    profile_command(
        method=method,
        input_size=input_size,
        weights=weights,
        random_init=random_init,
        own_weights=not random_init,  # else each card's own weights, or an error naming the file
        variant=None,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        iters=iters,
        warmup=COMPLEXITY_WARMUP,
        test_images=images,
        test_texts=texts,
        measure_all=measure_all,
        results=results,
        dataset=dataset,
        fmt=fmt,
        json_path=None,
        trust_checkpoint=trust_checkpoint,
    )
