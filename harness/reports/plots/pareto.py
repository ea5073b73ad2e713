"""Accuracy against cost (GFLOPs, parameters, inference time) with the Pareto front.

Input is a DataFrame with ``method``, the cost columns ``params_M`` / ``gflops`` / ``inference_time``
and the accuracy columns ``R1`` / ``mAP`` (percent), plus optional ``source``. It comes from DGCMIA
Table 3 (:func:`reported_complexity`) and from records that carry a profile block
(:func:`measured_complexity`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import ConfigError
from harness.reported import load_reported
from harness.reports.measured import Measured, cost_value
from harness.reports.plots.style import (
    NONREPORTABLE_NOTE,
    column_figure,
    legend_below,
    method_style,
    place_labels,
    save,
    series_label,
)

COSTS = {"gflops": "GFLOPs", "params_M": "Parameters (M)", "inference_time": "Inference time (s)"}
"""Cost columns and their axis labels (lower is better)."""


def reported_complexity() -> pd.DataFrame:
    """DGCMIA Table 3 as one row per method: params_M, gflops, inference_time, R1, mAP (NaN if '-')."""
    df = load_reported("dgcmia", "table3")
    wide = df.pivot_table(index="method", columns="metric", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=[*COSTS, "R1", "mAP"]).reset_index()
    wide.columns.name = None
    wide["source"] = "reported"
    return wide


def measured_complexity(measured: list[Measured]) -> pd.DataFrame:
    """Rows for records carrying a profile block (params/params_M, flops/gflops, inference time)."""
    rows = []
    for m in measured:
        if not m.profile:
            continue
        row: dict[str, object] = {"method": m.method, "R1": m.metrics.get("R1"), "mAP": m.metrics.get("mAP")}
        for column in COSTS:
            value = cost_value(m.profile, column)
            row[column] = np.nan if value is None else value
        row["source"] = "measured"
        row["nonreportable"] = m.nonreportable
        rows.append(row)
    return pd.DataFrame(rows, columns=["method", *COSTS, "R1", "mAP", "source", "nonreportable"])


def pareto_front(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Indices of points no other point beats (lower or equal cost and higher or equal accuracy, one
    strictly), sorted by cost. NaN points are ignored."""
    cost, accuracy = np.asarray(cost, float), np.asarray(accuracy, float)
    valid = np.flatnonzero(~(np.isnan(cost) | np.isnan(accuracy)))
    front = []
    for i in valid:
        dominated = any(
            cost[j] <= cost[i]
            and accuracy[j] >= accuracy[i]
            and (cost[j] < cost[i] or accuracy[j] > accuracy[i])
            for j in valid
        )
        if not dominated:
            front.append(i)
    return np.array(sorted(front, key=lambda i: (cost[i], -accuracy[i])), dtype=int)


def render_pareto(frame: pd.DataFrame, *, cost: str = "gflops", accuracy: str = "R1", title: str = ""):
    """Scatter ``accuracy`` against ``cost`` (one column wide), label every method without overlaps,
    draw the Pareto front of the reportable points; measured points are stars, not-reportable ones
    hollow with a dagger (and left out of the front)."""
    if cost not in COSTS:
        raise ConfigError(f"cost {cost!r}: expected one of {', '.join(COSTS)}")
    for column in ("method", cost, accuracy):
        if column not in frame.columns:
            raise ConfigError(f"complexity data has no column {column!r}")
    data = frame.dropna(subset=[cost, accuracy]).reset_index(drop=True)
    if data.empty:
        raise ConfigError(f"no method has both {cost} and {accuracy}")
    sources = (
        data["source"].fillna("reported") if "source" in data.columns else pd.Series(["reported"] * len(data))
    )
    flags = data["nonreportable"] if "nonreportable" in data.columns else pd.Series([False] * len(data))
    flags = flags.fillna(False).astype(bool)
    fig, axes = column_figure(aspect=0.8)
    ax = axes[0][0]
    ranked = ~flags.to_numpy()  # a not-reportable point never defines the front
    front = np.flatnonzero(ranked)[
        pareto_front(data[cost].to_numpy()[ranked], data[accuracy].to_numpy()[ranked])
    ]
    ax.step(
        data[cost].to_numpy()[front],
        data[accuracy].to_numpy()[front],
        where="post",
        color="#555555",
        linestyle="--",
        linewidth=0.8,
        label="Pareto front",
        zorder=2,
    )
    labels = []
    for i, row in data.iterrows():
        measured, hollow = sources.iloc[i] == "measured", bool(flags.iloc[i])
        style = method_style(str(row["method"]))
        ax.scatter(
            row[cost],
            row[accuracy],
            color="white" if hollow else style.colour,
            edgecolors=style.colour,
            linewidths=1.0,
            marker="*" if measured else style.marker,
            s=60 if measured else 28,
            zorder=3,
        )
        labels.append(series_label(str(row["method"]), measured=measured, nonreportable=hollow))
    xs, ys = data[cost].to_numpy(), data[accuracy].to_numpy()
    pad_x, pad_y = 0.08 * (xs.max() - xs.min() or 1), 0.08 * (ys.max() - ys.min() or 1)
    ax.set_xlim(xs.min() - pad_x, xs.max() + 3 * pad_x)
    ax.set_ylim(ys.min() - pad_y, ys.max() + 2 * pad_y)
    ax.set(xlabel=COSTS[cost], ylabel=f"{accuracy} (%)")
    ax.set_title(title or f"{accuracy} against {COSTS[cost].split(' (')[0].lower()}", loc="left")
    legend_below(fig, [ax], note=NONREPORTABLE_NOTE if flags.any() else None)
    place_labels(ax, xs, ys, labels)  # after the layout is final: offsets are in points
    return fig


def plot_pareto(
    frame: pd.DataFrame,
    out: Path | str,
    *,
    cost: str = "gflops",
    accuracy: str = "R1",
    title: str = "",
    dpi: int | None = None,
) -> list[Path]:
    """:func:`render_pareto` written as ``out``.png/.svg/.pdf."""
    return save(render_pareto(frame, cost=cost, accuracy=accuracy, title=title), out, dpi=dpi)
