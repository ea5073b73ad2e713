"""The one plot style: Agg backend, a colour-blind-safe palette, paper-sized fonts, PNG+SVG output."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display is ever needed

import matplotlib.pyplot as plt

from harness.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""Okabe-Ito colours, in order of use."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "svg.hashsalt": "reid-harness",
    "svg.fonttype": "none",
}
FORMATS = ("png", "svg")


def figure(nrows: int = 1, ncols: int = 1, width: float = 4.0, height: float = 3.0, **kw):
    """A new figure and axes in the harness style (``width``/``height`` in inches per panel)."""
    with plt.rc_context(RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    return fig, axes


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


def save(fig: Figure, base: Path | str, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``fig`` as ``base.png`` and ``base.svg`` (atomically) and close it; return the paths."""
    paths = []
    with plt.rc_context(RC):
        for fmt in formats:
            buf = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else {}
            fig.savefig(buf, format=fmt, bbox_inches="tight", metadata=metadata)
            paths.append(write_bytes_atomic(Path(f"{base}.{fmt}"), buf.getvalue()))
    plt.close(fig)
    return paths
