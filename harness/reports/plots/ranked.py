"""Ranked-list grids (DMF Figure 4): each query, then its top-k gallery images with a green border
for a correct identity and a red one for a wrong identity; and two methods side by side for the
same queries (DTTA Figure 5, DMF Figure 4 against a baseline).

Ranking comes from a distance matrix (smaller is closer; ties keep gallery order), from ranked
gallery indices given directly, or (:func:`rank_with_method`) from a method's embeddings of a
dataset's query and gallery images, searched with :func:`harness.engine.search.topk_search`.
:class:`RankedLists` is the one form every source is brought to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from harness.errors import ConfigError, DataError
from harness.reports.plots.style import figure, method_style, save

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
    dpi: int | None = None,
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
    return save(fig, out, dpi=dpi)


@dataclass(frozen=True)
class RankedLists:
    """One method's ranked gallery for each query: ``order[q]`` holds gallery indices, best first."""

    label: str
    query_paths: tuple[str, ...]
    gallery_paths: tuple[str, ...]
    query_pids: tuple[int, ...]
    gallery_pids: tuple[int, ...]
    order: np.ndarray


def load_ranked_npz(path: Path, arrays: dict, label: str, topk: int) -> RankedLists:
    """:class:`RankedLists` from ``harness plot ranked``'s .npz arrays (``distmat`` or ``ranked``)."""
    distmat, ranked = arrays.get("distmat"), arrays.get("ranked")
    if (distmat is None) == (ranked is None):
        raise DataError(f"{path}: give exactly one of the arrays distmat or ranked")
    order = rank_gallery(distmat, topk) if distmat is not None else np.asarray(ranked)[:, :topk]
    return RankedLists(
        label,
        tuple(str(p) for p in arrays["query_paths"]),
        tuple(str(p) for p in arrays["gallery_paths"]),
        tuple(int(p) for p in arrays["query_pids"]),
        tuple(int(p) for p in arrays["gallery_pids"]),
        order,
    )


def rank_with_method(
    method,
    query,
    gallery,
    *,
    queries: Sequence[int],
    topk: int,
    distance: str = "euclidean",
    normalize: bool = True,
    batch_size: int = 32,
) -> RankedLists:
    """Rank ``gallery`` (a :class:`~harness.data.manifest.Manifest`) for the chosen ``queries`` of
    ``query`` with ``method`` (a loaded :class:`~harness.methods.adapter.MethodAdapter`).

    Follows the evaluation's conventions: the features are searched with
    :func:`~harness.engine.search.topk_search` (``distance``/``normalize`` as the protocol's), and a
    gallery item with the query's identity and camera (Market's junk rule) or identity -1 is left out.
    """
    from harness.engine.extract import ExtractSettings, extract_image_features
    from harness.engine.search import topk_search

    chosen = list(queries)
    settings = ExtractSettings(batch_size=batch_size)
    q_feats = extract_image_features(method, query, settings=settings)[chosen]
    g_feats = extract_image_features(method, gallery, settings=settings)
    _, index = topk_search(q_feats, g_feats, len(gallery.paths), distance=distance, normalize=normalize)
    order = np.zeros((len(chosen), topk), dtype=np.int64)
    for row, qi in enumerate(chosen):
        qpid, qcam = int(query.pids[qi]), int(query.camids[qi])
        keep = [
            g
            for g in index[row].tolist()
            if int(gallery.pids[g]) != -1
            and not (int(gallery.pids[g]) == qpid and int(gallery.camids[g]) == qcam)
        ][:topk]
        if len(keep) < topk:
            raise ConfigError(
                f"the gallery has only {len(keep)} valid items for query {qi}; ask for --topk {len(keep)}"
            )
        order[row] = keep
    return RankedLists(
        method.name,
        tuple(query.paths[i] for i in chosen),
        tuple(gallery.paths),
        tuple(int(query.pids[i]) for i in chosen),
        tuple(int(p) for p in gallery.pids),
        order,
    )


def render_ranked_pair(lists: Sequence[RankedLists], *, queries: Sequence[int] | None = None, topk: int = 5):
    """For each chosen query: the query image, then each method's top-``topk`` in a block of its own,
    the method named in its colour above the block (green border: same identity, red: another)."""
    if len(lists) < 2:
        raise ConfigError("a side-by-side ranked-list figure needs two methods")
    first = lists[0]
    for other in lists[1:]:
        if other.query_paths != first.query_paths or other.query_pids != first.query_pids:
            raise ConfigError(
                f"{first.label} and {other.label} rank different queries: give both the same queries"
            )
    k = min(topk, *(lst.order.shape[1] for lst in lists))
    chosen = list(queries) if queries is not None else list(range(min(4, len(first.query_paths))))
    ncols = 1 + len(lists) * (k + 1) - 1
    fig, axes = figure(len(chosen), ncols, width=0.62, height=1.45)
    for r, qi in enumerate(chosen):
        cells = [(first.query_paths[qi], None, "query" if r == 0 else "", None)]
        for m, lst in enumerate(lists):
            if m:
                cells.append((None, None, "", None))  # a gap between the methods' blocks
            for rank, gi in enumerate(lst.order[qi][:k], start=1):
                ok = lst.gallery_pids[gi] == lst.query_pids[qi]
                cells.append(
                    (lst.gallery_paths[gi], CORRECT if ok else WRONG, str(rank) if r == 0 else "", lst.label)
                )
        for c, (path, border, label, _method) in enumerate(cells):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if path is None:
                ax.axis("off")
                continue
            ax.imshow(_load(path))
            for spine in ax.spines.values():
                spine.set_visible(border is not None)
                if border:
                    spine.set_edgecolor(border)
                    spine.set_linewidth(2.5)
            if label:
                ax.set_title(label, fontsize=7)
    fig.subplots_adjust(wspace=0.08, hspace=0.12, top=0.86)
    for m, lst in enumerate(lists):  # the method's name over its block
        start = 1 + m * (k + 1)
        left = axes[0][start].get_position().x0
        right = axes[0][start + k - 1].get_position().x1
        fig.text(
            (left + right) / 2,
            0.95,
            lst.label,
            ha="center",
            va="bottom",
            fontsize=8,
            color=method_style(lst.label).colour,
            fontweight="bold",
        )
    return fig


def plot_ranked_pair(
    lists: Sequence[RankedLists],
    out: Path | str,
    *,
    queries: Sequence[int] | None = None,
    topk: int = 5,
    dpi: int | None = None,
) -> list[Path]:
    """:func:`render_ranked_pair` written as ``out``.png/.svg/.pdf."""
    return save(render_ranked_pair(lists, queries=queries, topk=topk), out, dpi=dpi)
