"""CMC curves: matching rate (percent) against rank, one line per method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.errors import ResultError
from harness.reports.measured import Measured
from harness.reports.plots.style import colour, figure, marker, save


def cmc_curves(measured: list[Measured], protocol: str, leg: str) -> dict[str, list[float]]:
    """``method -> CMC in percent`` for the records of ``protocol``/``leg`` that carry a curve."""
    curves = {m.method: list(m.cmc) for m in measured if m.protocol == protocol and m.leg == leg and m.cmc}
    if not curves:
        raise ResultError(f"no record of protocol {protocol!r} leg {leg!r} carries a CMC curve")
    return curves


def plot_cmc(
    curves: Mapping[str, Sequence[float]],
    out: Path | str,
    *,
    title: str = "CMC",
    max_rank: int = 20,
    bands: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
) -> list[Path]:
    """Plot CMC curves (values in percent, rank 1 first) up to ``max_rank``; write ``out``.png/.svg.

    ``bands`` (method -> (low, high) in percent) draws a shaded confidence band around a curve."""
    fig, axes = figure(width=4.2, height=3.2)
    ax = axes[0][0]
    for i, (method, curve) in enumerate(sorted(curves.items())):
        ys = list(curve)[:max_rank]
        ax.plot(range(1, len(ys) + 1), ys, color=colour(i), marker=marker(i), markersize=3, label=method)
        if bands and method in bands:
            low, high = (list(b)[: len(ys)] for b in bands[method])
            ax.fill_between(range(1, len(low) + 1), low, high, color=colour(i), alpha=0.2, linewidth=0)
    ax.set(xlabel="Rank", ylabel="Matching rate (%)", title=title, ylim=(0, 100.5))
    ax.legend(loc="lower right")
    return save(fig, out)
