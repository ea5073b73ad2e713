"""Text-mask robustness: R1 and mAP against the mask ratio of the query texts, per method and dataset.

Input is a long DataFrame with columns ``method, dataset, ratio, metric, value`` (value in percent)
and optionally ``source`` (``reported`` or ``measured``; measured lines are dashed). It can come from
DGCMIA Table 2 (:func:`reported_textmask`), from ``textmask`` records (:func:`measured_textmask`), or
be built by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.errors import ConfigError
from harness.reported import load_reported
from harness.reports.measured import Measured
from harness.reports.plots.style import colour, figure, marker, save

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
    ``source="measured"``."""
    from harness.reports.frame import measured_frame

    frame = measured_frame(measured)
    frame = frame[frame["mask_ratio"].notna() & frame["metric"].isin(["R1", "mAP"])]
    frame = frame.rename(columns={"mask_ratio": "ratio"})[[*COLUMNS, "std", "unit"]].reset_index(drop=True)
    frame["source"] = "measured"
    return frame


def plot_textmask(
    frame: pd.DataFrame, out: Path | str, *, metrics: tuple[str, ...] = ("R1", "mAP")
) -> list[Path]:
    """One panel per (dataset, metric): value against mask ratio, one line per method (and source)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"text-mask data needs columns {', '.join(COLUMNS)}; missing {', '.join(missing)}")
    if frame.empty:
        raise ConfigError("text-mask data is empty")
    data = frame.copy()
    if "source" not in data.columns:
        data["source"] = "measured"
    datasets = list(dict.fromkeys(data["dataset"]))
    fig, axes = figure(len(metrics), len(datasets), width=3.2, height=2.6, sharex=True)
    series = list(dict.fromkeys(zip(data["method"], data["source"], strict=True)))
    for col, dataset in enumerate(datasets):
        for row, metric in enumerate(metrics):
            ax = axes[row][col]
            for i, (method, source) in enumerate(series):
                sel = data[(data["dataset"] == dataset) & (data["metric"] == metric)]
                sel = sel[(sel["method"] == method) & (sel["source"] == source)].sort_values("ratio")
                if sel.empty:
                    continue
                label = method if source == "reported" else f"{method} (measured)"
                ax.plot(
                    sel["ratio"],
                    sel["value"],
                    color=colour(i),
                    marker=marker(i),
                    markersize=4,
                    linestyle="-" if source == "reported" else "--",
                    label=label,
                )
            ax.set_title(f"{dataset}: {metric}")
            if row == len(metrics) - 1:
                ax.set_xlabel("Mask ratio")
            if col == 0:
                ax.set_ylabel(f"{metric} (%)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), bbox_to_anchor=(0.5, -0.04))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return save(fig, out)
