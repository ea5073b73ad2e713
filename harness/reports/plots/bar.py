"""Bar chart of one metric across legs, per method and setting (ReText Figure 1).

Groups are the legs of one protocol (in the protocol's order, titled by their target dataset), bars
the series found in the records: a method, plus its setting when records differ in it (re-ranking,
a variant), each in the method's colour; not-reportable bars are hatched and daggered. Values are
printed on the bars with the metric's decimals.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.errors import ConfigError, ResultError
from harness.reports.measured import Measured
from harness.reports.plots.style import (
    COLUMN_WIDTH,
    NONREPORTABLE_NOTE,
    PAGE_WIDTH,
    column_figure,
    leg_title,
    legend_below,
    method_style,
    save,
    series_label,
)


@dataclass(frozen=True)
class Bar:
    series: str
    """The method label, with ``(re-ranking)`` when the record re-ranks."""
    method: str
    leg: str
    value: float
    nonreportable: bool = False


def metric_bars(measured: list[Measured], protocol: str, metric: str) -> list[Bar]:
    """One bar per record of ``protocol`` that carries ``metric`` (percent)."""
    bars = [
        Bar(
            m.method + (" (re-ranking)" if m.rerank else ""),
            m.method,
            m.leg,
            m.metrics[metric],
            m.nonreportable,
        )
        for m in measured
        if m.protocol == protocol and metric in m.metrics
    ]
    if not bars:
        raise ResultError(f"no record of protocol {protocol!r} carries metric {metric!r}")
    return bars


def _leg_order(protocol: str, legs: list[str]) -> list[str]:
    from harness.protocols.registry import PROTOCOLS

    if protocol in PROTOCOLS:
        order = [leg.name for leg in PROTOCOLS.get(protocol).legs]
        return sorted(legs, key=lambda lg: (order.index(lg) if lg in order else len(order), lg))
    return sorted(legs)


def render_bars(bars: list[Bar], *, protocol: str, metric: str, title: str = "", decimals: int = 1):
    """Grouped bars (legs x series); one column wide up to 3 legs, a page wide beyond."""
    if not bars:
        raise ConfigError("nothing to draw: no bars")
    legs = _leg_order(protocol, list(dict.fromkeys(b.leg for b in bars)))
    series = sorted(
        dict.fromkeys((b.series, b.method, b.nonreportable) for b in bars), key=lambda s: s[0].lower()
    )
    width = COLUMN_WIDTH if len(legs) <= 3 else PAGE_WIDTH
    fig, axes = column_figure(width=width, aspect=0.62 if width == COLUMN_WIDTH else 0.36)
    ax = axes[0][0]
    slot = 0.8 / len(series)
    values = {(b.series, b.nonreportable, b.leg): b.value for b in bars}
    top = max(b.value for b in bars)
    for i, (name, method, hollow) in enumerate(series):
        xs = np.arange(len(legs)) + (i - (len(series) - 1) / 2) * slot
        ys = [values.get((name, hollow, leg), np.nan) for leg in legs]
        colour = method_style(method).colour
        rects = ax.bar(
            xs,
            ys,
            width=slot * 0.92,
            color="white" if hollow else colour,
            edgecolor=colour,
            hatch="////" if hollow else None,
            linewidth=0.8,
            label=series_label(name, nonreportable=hollow),
        )
        if len(series) * len(legs) <= 24:
            ax.bar_label(rects, fmt=f"%.{decimals}f", fontsize=5.5, padding=1.5)
    names = [textwrap.fill(leg_title(protocol, lg).split(" \u2192 ")[-1], 16) for lg in legs]
    ax.set_xticks(np.arange(len(legs)), names)
    ax.set_ylabel(f"{metric} (%)")
    ax.set_ylim(0, top * 1.15 + 1 if top > 0 else 1)  # room for the printed values
    ax.grid(axis="x", visible=False)
    ax.set_title(title or f"{metric} per target", loc="left")
    legend_below(fig, [ax], note=NONREPORTABLE_NOTE if any(s[2] for s in series) else None)
    return fig


def plot_bars(bars: list[Bar], out: Path | str, *, dpi: int | None = None, **kwargs) -> list[Path]:
    """:func:`render_bars` written as ``out``.png/.svg/.pdf."""
    return save(render_bars(bars, **kwargs), out, dpi=dpi)
