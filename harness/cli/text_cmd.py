"""``harness text report``: a thin alias of ``harness report --table dgcmia-t2 --with-measured`` (and
``harness plot textmask``): text records go through the one record reader, table path and plot.
``harness text complexity``: the complexity table (seed 004 Table 3 shape) from the profiler."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import err, handle_errors, out

app = typer.Typer(help="Text-to-image retrieval tools.", no_args_is_help=True)

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
    input_size: str = typer.Option("384x128", "--input", help="HEIGHTxWIDTH of the test images."),
    texts: int = typer.Option(6156, "--texts", min=0, help="Captions in the test set (CUHK-PEDES: 6,156)."),
    images: int = typer.Option(3074, "--images", min=0, help="Images in the test set (CUHK-PEDES: 3,074)."),
    measure_all: bool = typer.Option(
        False, "--measure-all", help="Encode every text and image instead of extrapolating from throughput."
    ),
    device: str = typer.Option(None, "--device", help="cpu or cuda[:N]; default: cuda when available."),
    dtype: str = typer.Option(None, "--dtype", help="fp32, fp16 or bf16; default: each method's own."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Batch of the timed encodes."),
    iters: int = typer.Option(5, "--iters", min=1, help="Timed batches per throughput (extrapolation)."),
    results: Path = typer.Option(
        None, "--results", help="Results folder: add R1/mAP of each method's t2i record on --dataset."
    ),
    dataset: str = typer.Option("cuhk-pedes", "--dataset", help="Test set of the R1/mAP columns."),
    fmt: str = typer.Option("md", "--format", help="md or csv (csv: footnotes go to stderr)."),
) -> None:
    """Seed 004 Table 3: params, FLOPs per image / per text, and inference time over a test set of
    --texts captions and --images images at --input, one row per --method."""
    from harness.cli.profile_cmd import parse_input
    from harness.errors import ConfigError
    from harness.methods.load import load_method
    from harness.text.complexity import complexity_table, format_table, method_cost, t2i_accuracy

    if fmt not in ("md", "csv"):
        raise ConfigError(f"--format must be md or csv, got {fmt!r}")
    checkpoints: dict[str, Path] = {}
    for spec in weights or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--weights {spec!r}: expected METHOD=PATH")
        checkpoints[name] = Path(path)
    unknown = sorted(set(checkpoints) - set(method))
    if unknown:
        raise ConfigError(f"--weights names {unknown}, which are not among --method {method}")
    size = parse_input(input_size)
    costs = []
    for name in method:
        err.print(f"profiling {name} ...", highlight=False)
        adapter = load_method(
            name,
            checkpoints.get(name),
            device=device,
            random_init=random_init and name not in checkpoints,
            dtype=dtype,
        )
        try:
            cost = method_cost(
                adapter,
                input_size=size,
                images=images,
                texts=texts,
                batch_size=batch_size,
                measure_all=measure_all,
                iters=iters,
            )
        except ConfigError as exc:
            raise ConfigError(f"method {name!r} at --input {input_size}: {exc}") from exc
        costs.append(cost)
    accuracy = t2i_accuracy(results, dataset) if results is not None else None
    table, notes = complexity_table(costs, accuracy=accuracy)
    out.print(format_table(table, fmt).rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    target = out if fmt == "md" else err
    if fmt == "md":
        out.print("")
    for i, note in enumerate(notes, 1):
        target.print(
            f"{i}. {note}" if fmt == "md" else f"note {i}: {note}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
