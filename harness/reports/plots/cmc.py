"""CMC curves: matching rate (percent) against rank, one line per method (records carrying ``cmc``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.ticker

from harness.errors import ResultError
from harness.reports.measured import Measured
from harness.reports.plots.style import (
    NONREPORTABLE_NOTE,
    column_figure,
    legend_below,
    point_kwargs,
    save,
    series_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Curve:
    """One method's CMC (percent, rank 1 first)."""

    method: str
    values: tuple[float, ...]
    nonreportable: bool = False


def cmc_curves(measured: list[Measured], protocol: str, leg: str) -> list[Curve]:
    """The curves of the records of ``protocol``/``leg`` that carry one, sorted by method."""
    curves = [
        Curve(m.method, tuple(m.cmc), m.nonreportable)
        for m in measured
        if m.protocol == protocol and m.leg == leg and m.cmc
    ]
    if not curves:
        raise ResultError(f"no record of protocol {protocol!r} leg {leg!r} carries a CMC curve")
    return sorted(curves, key=lambda c: c.method.lower())


def render_cmc(
    curves: Sequence[Curve],
    *,
    title: str = "CMC",
    max_rank: int = 20,
    bands: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
) -> Figure:
    """The CMC figure (one column wide); not-reportable curves dashed with hollow markers; ``bands``
    (method -> (low, high), percent) shaded in the method's colour."""
    fig, axes = column_figure(aspect=0.72)
    ax = axes[0][0]
    for curve in curves:
        ys = list(curve.values)[:max_rank]
        ax.plot(
            range(1, len(ys) + 1),
            ys,
            linestyle="--" if curve.nonreportable else "-",
            linewidth=1.2,
            label=series_label(curve.method, nonreportable=curve.nonreportable),
            **point_kwargs(curve.method, nonreportable=curve.nonreportable, size=3.5),
        )
        if bands and curve.method in bands:
            low, high = (list(b)[: len(ys)] for b in bands[curve.method])
            colour = point_kwargs(curve.method, nonreportable=curve.nonreportable, size=3.5).get("color")
            ax.fill_between(range(1, len(low) + 1), low, high, color=colour, alpha=0.2, linewidth=0)
    last = min(max_rank, max(len(c.values) for c in curves))
    ax.set(xlabel="Rank", ylabel="Matching rate (%)", ylim=(0, 101), xlim=(0.5, last + 0.5))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(title, loc="left")
    legend_below(fig, [ax], note=NONREPORTABLE_NOTE if any(c.nonreportable for c in curves) else None)
    return fig


def plot_cmc(
    curves: Sequence[Curve],
    out: Path | str,
    *,
    title: str = "CMC",
    max_rank: int = 20,
    bands: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    dpi: int | None = None,
) -> list[Path]:
    """Plot CMC curves up to ``max_rank``; write ``out``.png/.svg/.pdf.

    ``bands`` (method -> (low, high) in percent) shades a confidence band around a method's curve."""
    return save(render_cmc(curves, title=title, max_rank=max_rank, bands=bands), out, dpi=dpi)
