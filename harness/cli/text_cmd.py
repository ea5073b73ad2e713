"""``harness text report``: the text-mask robustness table (seed 004 Table 2 shape) and curve plot."""

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
