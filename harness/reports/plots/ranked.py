"""Ranked-list grids (DMF Figure 4): each query, then its top-k gallery images with a green border
for a correct identity and a red one for a wrong identity.

Ranking comes from a distance matrix (smaller is closer; ties keep gallery order) or from ranked
gallery indices given directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from harness.errors import ConfigError, DataError
from harness.reports.plots.style import figure, save

CORRECT, WRONG = "#1a9850", "#d73027"


def rank_gallery(distmat: np.ndarray, topk: int) -> np.ndarray:
    """(q, topk) gallery indices in ascending distance (stable, so ties keep gallery order)."""
    distmat = np.asarray(distmat)
    if distmat.ndim != 2:
        raise ConfigError(f"distance matrix must be 2-D (queries x gallery), got shape {distmat.shape}")
    return np.argsort(distmat, axis=1, kind="stable")[:, :topk]


def _load(path: str | Path) -> np.ndarray:
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except OSError as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from exc


def plot_ranked_lists(
    query_paths: Sequence[str | Path],
    gallery_paths: Sequence[str | Path],
    query_pids: Sequence[int],
    gallery_pids: Sequence[int],
    out: Path | str,
    *,
    distmat: np.ndarray | None = None,
    ranked: np.ndarray | None = None,
    topk: int = 5,
    queries: Sequence[int] | None = None,
) -> list[Path]:
    """Draw the chosen ``queries`` (default: the first 4) with their top-``topk`` gallery images."""
    if (distmat is None) == (ranked is None):
        raise ConfigError("give exactly one of distmat or ranked")
    if len(query_paths) != len(query_pids) or len(gallery_paths) != len(gallery_pids):
        raise ConfigError("each image path needs one pid (query and gallery lengths differ)")
    order = rank_gallery(distmat, topk) if distmat is not None else np.asarray(ranked)[:, :topk]
    if order.shape[0] != len(query_paths):
        raise ConfigError(f"ranking has {order.shape[0]} rows for {len(query_paths)} queries")
    chosen = list(queries) if queries is not None else list(range(min(4, len(query_paths))))
    k = order.shape[1]
    fig, axes = figure(len(chosen), k + 1, width=1.0, height=2.0)
    for r, qi in enumerate(chosen):
        cells = [(query_paths[qi], None, "query")]
        for rank, gi in enumerate(order[qi], start=1):
            ok = gallery_pids[gi] == query_pids[qi]
            cells.append((gallery_paths[gi], CORRECT if ok else WRONG, f"{rank}"))
        for c, (path, border, label) in enumerate(cells):
            ax = axes[r][c]
            ax.imshow(_load(path))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(border is not None)
                if border:
                    spine.set_edgecolor(border)
                    spine.set_linewidth(3)
            ax.set_title(label, fontsize=7)
    return save(fig, out)
