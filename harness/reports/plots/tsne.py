"""t-SNE of image (and, when given, text) features coloured by identity (DGCMIA Figure 1).

scikit-learn is not a dependency, so :func:`tsne` is a small exact t-SNE in NumPy (van der Maaten &
Hinton, 2008): Gaussian affinities calibrated to a perplexity by bisection, symmetrised, Student-t
low-dimensional affinities, gradient descent with momentum and early exaggeration. Exact means
O(n^2) memory and time: fine for the few hundred points such a figure shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.errors import ConfigError
from harness.reports.plots.style import column_figure, identity_colours, legend_below, save

MAX_POINTS = 3000


def _affinities(x: np.ndarray, perplexity: float, tol: float = 1e-5, steps: int = 50) -> np.ndarray:
    n = x.shape[0]
    sq = np.sum(x * x, axis=1)
    d = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    target = np.log(perplexity)
    p = np.zeros((n, n))
    for i in range(n):
        di = np.delete(d[i], i)
        lo, hi, beta = 0.0, np.inf, 1.0
        for _ in range(steps):
            w = np.exp(-(di - di.min()) * beta)
            s = w.sum()
            h = np.log(s) + beta * np.sum(di * w) / s - beta * di.min()
            if abs(h - target) < tol:
                break
            if h > target:
                lo, beta = beta, beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi, beta = beta, (beta + lo) / 2
        p[i, np.arange(n) != i] = w / s
    p = (p + p.T) / (2 * n)
    return np.maximum(p, 1e-12)


def tsne(
    x: np.ndarray,
    *,
    perplexity: float = 30.0,
    iterations: int = 500,
    learning_rate: float = 200.0,
    seed: int = 0,
) -> np.ndarray:
    """Embed ``x`` (n, d) into 2-D; deterministic for a given ``seed``."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if x.ndim != 2 or n < 4:
        raise ConfigError(f"t-SNE needs a 2-D array of at least 4 points, got shape {x.shape}")
    if n > MAX_POINTS:
        raise ConfigError(f"t-SNE here is exact (O(n^2)); {n} points is more than {MAX_POINTS}: subsample")
    x = x - x.mean(axis=0)
    scale = np.abs(x).max()
    x = x / scale if scale > 0 else x
    perplexity = min(perplexity, (n - 1) / 3)
    p = _affinities(x, perplexity)
    rng = np.random.default_rng(seed)
    y = rng.normal(scale=1e-4, size=(n, 2))
    velocity = np.zeros_like(y)
    gains = np.ones_like(y)
    for it in range(iterations):
        exaggeration = 12.0 if it < 100 else 1.0
        momentum = 0.5 if it < 250 else 0.8
        sq = np.sum(y * y, axis=1)
        num = 1.0 / (1.0 + sq[:, None] + sq[None, :] - 2 * y @ y.T)
        np.fill_diagonal(num, 0.0)
        q = np.maximum(num / num.sum(), 1e-12)
        pq = (exaggeration * p - q) * num
        grad = 4.0 * ((np.diag(pq.sum(axis=1)) - pq) @ y)
        gains = np.where(np.sign(grad) != np.sign(velocity), gains + 0.2, gains * 0.8).clip(min=0.01)
        velocity = momentum * velocity - learning_rate * gains * grad
        y = y + velocity
        y = y - y.mean(axis=0)
    return y


def tsne_title(has_text: bool, n_identities: int, source: str = "") -> str:
    """An honest title: says "image features" when no text features were given."""
    what = "image and text features" if has_text else "image features"
    return f"t-SNE of {what}{f' ({source})' if source else ''}, {n_identities} identities"


def render_tsne(
    image_features: np.ndarray,
    image_pids: np.ndarray,
    text_features: np.ndarray | None,
    text_pids: np.ndarray | None,
    *,
    title: str | None = None,
    source: str = "",
    perplexity: float = 30.0,
    iterations: int = 500,
    seed: int = 0,
):
    """One joint t-SNE; images as circles, texts as triangles, one distinct colour per identity
    (:func:`~harness.reports.plots.style.identity_colours` never repeats). ``title`` defaults to
    :func:`tsne_title`; ``source`` (e.g. the method and leg) goes into it."""
    image_features = np.asarray(image_features)
    image_pids = np.asarray(image_pids)
    if len(image_features) != len(image_pids):
        raise ConfigError(f"{len(image_features)} image features but {len(image_pids)} image pids")
    parts = [image_features]
    kinds = [np.zeros(len(image_pids), dtype=int)]
    pids = [image_pids]
    if text_features is not None:
        if text_pids is None:
            raise ConfigError("text features need text pids (one per text)")
        text_features, text_pids = np.asarray(text_features), np.asarray(text_pids)
        if len(text_features) != len(text_pids):
            raise ConfigError(f"{len(text_features)} text features but {len(text_pids)} text pids")
        if text_features.shape[1] != image_features.shape[1]:
            raise ConfigError("image and text features must share one embedding space (same dimension)")
        parts.append(text_features)
        kinds.append(np.ones(len(text_pids), dtype=int))
        pids.append(text_pids)
    emb = tsne(np.concatenate(parts), perplexity=perplexity, iterations=iterations, seed=seed)
    kind, pid = np.concatenate(kinds), np.concatenate(pids)
    order = list(dict.fromkeys(pid.tolist()))
    palette = identity_colours(len(order))
    lookup = {p: palette[i] for i, p in enumerate(order)}
    colours = np.array([lookup[p] for p in pid.tolist()])
    fig, axes = column_figure(aspect=0.9)
    ax = axes[0][0]
    for k, (mark, name) in enumerate((("o", "image"), ("^", "text"))):
        sel = kind == k
        if sel.any():
            ax.scatter(
                emb[sel, 0],
                emb[sel, 1],
                c=colours[sel],
                marker=mark,
                s=14,
                alpha=0.9,
                label=name,
                edgecolors="none",
            )
    ax.set(xticks=[], yticks=[])
    ax.set_title(title or tsne_title(text_features is not None, len(order), source), loc="left")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if text_features is not None:
        legend_below(fig, [ax], ncol=2)
    return fig


def plot_tsne(
    image_features: np.ndarray,
    image_pids: np.ndarray,
    text_features: np.ndarray | None,
    text_pids: np.ndarray | None,
    out: Path | str,
    *,
    dpi: int | None = None,
    **kwargs,
) -> list[Path]:
    """:func:`render_tsne` written as ``out``.png/.svg/.pdf."""
    return save(render_tsne(image_features, image_pids, text_features, text_pids, **kwargs), out, dpi=dpi)
