"""``harness text report``: the text-mask robustness table (seed 004 Table 2 shape) and curve plot;
``harness text complexity``: the complexity table (seed 004 Table 3 shape) from the profiler."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import err, handle_errors, out

app = typer.Typer(help="Text-to-image retrieval tools.", no_args_is_help=True)


@app.command("report")
@handle_errors
def report_command(
    results: Path = typer.Option(..., "--results", help="Folder of result records (harness run --out)."),
    baseline: str = typer.Option(None, "--baseline", help="Method the deltas are taken against."),
    fmt: str = typer.Option("md", "--format", help="md or csv."),
    plot: Path = typer.Option(None, "--plot", help="Also write the robustness curves (png, pdf, svg)."),
    metric: list[str] = typer.Option(None, "--metric", help="Metric columns (repeatable); default R1, mAP."),
    std: bool = typer.Option(False, "--std", help="Add the std over repeats as columns."),
) -> None:
    """Tabulate every textmask result under RESULTS: per dataset and mask ratio, each method's
    metrics (percent) and its delta against --baseline (percentage points)."""
    from harness.text.report import (
        format_table,
        read_records,
        robustness_plot,
        textmask_frame,
        textmask_table,
    )

    frame = textmask_frame(read_records(results))
    metrics = list(metric or []) or ["R1", "mAP"]
    table = textmask_table(frame, baseline=baseline, metrics=metrics, with_std=std)
    out.print(format_table(table, fmt).rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    if plot is not None:
        written = robustness_plot(frame, plot, metric=metrics[0])
        err.print(f"plot: {written}", highlight=False)


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
    from harness.text.complexity import method_cost
    from harness.text.report import complexity_table, format_table, read_records, t2i_accuracy

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
    accuracy = t2i_accuracy(read_records(results), dataset) if results is not None else None
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
