"""Text-mask robustness: R1 and mAP against the mask ratio of the query texts, per method and dataset.

Input is a long DataFrame with columns ``method, dataset, ratio, metric, value`` (value in percent)
and optionally ``source`` (``reported`` or ``measured``; measured lines are dashed) and
``nonreportable`` (hollow markers and a dagger). It can come from
DGCMIA Table 2 (:func:`reported_textmask`), from ``textmask`` records (:func:`measured_textmask`), or
be built by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.errors import ConfigError
from harness.reported import load_reported
from harness.reports.measured import Measured
from harness.reports.plots.style import (
    NONREPORTABLE_NOTE,
    column_figure,
    dataset_title,
    legend_below,
    point_kwargs,
    save,
    series_label,
)

COLUMNS = ("method", "dataset", "ratio", "metric", "value")


def reported_textmask() -> pd.DataFrame:
    """DGCMIA Table 2 (IRRA and DGCMIA at mask ratios 0.1-0.5 on three datasets) as the long frame."""
    df = load_reported("dgcmia", "table2")
    df = df[df["metric"].isin(["R1", "mAP"]) & (df["status"] == "reported")]
    return pd.DataFrame(
        {
            "method": df["method"],
            "dataset": df["target"],
            "ratio": df["setting"].str.removeprefix("mask_ratio=").astype(float),
            "metric": df["metric"],
            "value": df["value"],
            "source": "reported",
        }
    ).reset_index(drop=True)


def measured_textmask(measured: list[Measured]) -> pd.DataFrame:
    """The plot's frame from records with masked query captions (``settings.text_mask``): R1 and
    mAP rows of the one measured frame (:func:`harness.reports.frame.measured_frame`, percent), with
    ``source="measured"`` and ``nonreportable`` (random-init weights or synthetic data)."""
    from harness.reports.frame import measured_frame

    frame = measured_frame(measured)
    frame = frame[frame["mask_ratio"].notna() & frame["metric"].isin(["R1", "mAP"])]
    frame = frame.rename(columns={"mask_ratio": "ratio"}).reset_index(drop=True)
    frame["nonreportable"] = ~frame["reportable"].astype(bool)
    frame = frame[[*COLUMNS, "std", "unit", "nonreportable"]]
    frame["source"] = "measured"
    return frame


def render_textmask(frame: pd.DataFrame, *, metrics: tuple[str, ...] = ("R1", "mAP")):
    """One panel per (dataset, metric): value against mask ratio, one line per method (and source).

    The figure is a page wide (a column for one dataset); reported lines solid, measured dashed."""
    from harness.reports.plots.style import COLUMN_WIDTH, PAGE_WIDTH

    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"text-mask data needs columns {', '.join(COLUMNS)}; missing {', '.join(missing)}")
    if frame.empty:
        raise ConfigError("text-mask data is empty")
    data = frame.copy()
    if "source" not in data.columns:
        data["source"] = "measured"
    if "nonreportable" not in data.columns:
        data["nonreportable"] = False
    data["nonreportable"] = data["nonreportable"].fillna(False).astype(bool)
    datasets = list(dict.fromkeys(data["dataset"]))
    width = COLUMN_WIDTH if len(datasets) == 1 else PAGE_WIDTH
    fig, axes = column_figure(len(metrics), len(datasets), width=width, aspect=0.8, sharex=True)
    series = list(dict.fromkeys(zip(data["method"], data["source"], data["nonreportable"], strict=True)))
    for col, dataset in enumerate(datasets):
        for row, metric in enumerate(metrics):
            ax = axes[row][col]
            for method, source, nonreportable in series:
                sel = data[(data["dataset"] == dataset) & (data["metric"] == metric)]
                sel = sel[
                    (sel["method"] == method)
                    & (sel["source"] == source)
                    & (sel["nonreportable"] == nonreportable)
                ].sort_values("ratio")
                if sel.empty:
                    continue
                measured = source != "reported"
                ax.plot(
                    sel["ratio"],
                    sel["value"],
                    linestyle="--" if measured else "-",
                    linewidth=1.1,
                    label=series_label(method, measured=measured, nonreportable=nonreportable),
                    **point_kwargs(method, nonreportable=nonreportable, size=3.5),
                )
            ax.set_title(f"{dataset_title(dataset)}: {metric}")
            if row == len(metrics) - 1:
                ax.set_xlabel("Query-text mask ratio")
            if col == 0:
                ax.set_ylabel(f"{metric} (%)")
    flat = [ax for row in axes for ax in row]
    legend_below(fig, flat, ncol=4, note=NONREPORTABLE_NOTE if data["nonreportable"].any() else None)
    return fig


def plot_textmask(
    frame: pd.DataFrame, out: Path | str, *, metrics: tuple[str, ...] = ("R1", "mAP"), dpi: int | None = None
) -> list[Path]:
    """:func:`render_textmask` written as ``out``.png/.svg/.pdf."""
    return save(render_textmask(frame, metrics=metrics), out, dpi=dpi)
