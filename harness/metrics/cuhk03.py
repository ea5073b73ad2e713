"""CUHK03-classic single-gallery-shot (SGS) CMC with seeded repeats.

For each query and each repeat, one kept gallery item is drawn uniformly at random per gallery pid
(junk excluded), and CMC is computed on that one-item-per-identity sub-list; CMC is averaged over
the repeats. AP is *not* sampled: mAP/mINP come from the full filtered ranking, as in torchreid's
``eval_cuhk03``. Unlike torchreid (unseeded ``np.random.choice``) the draws are reproducible: the
draw for query ``i`` comes from ``numpy.random.default_rng([seed, i])`` and does not depend on the
chunking or on the other queries. A uniform draw per pid is taken as the item with the smallest
uniform key among that pid's kept items.
"""

from __future__ import annotations

import numpy as np

from harness.metrics.inputs import Labels


def draw_keys(seed: int, query_index: int, repeats: int, n_gallery: int) -> np.ndarray:
    """Uniform keys (repeats x gallery) for one query; the per-pid draw is the argmin key."""
    return np.random.default_rng([int(seed), int(query_index)]).random((repeats, n_gallery))


class SingleGalleryShot:
    """Vectorised SGS CMC over query rows (NumPy; one query at a time, all repeats at once)."""

    def __init__(self, labels: Labels, *, junk: str, max_rank: int, repeats: int, seed: int) -> None:
        self.labels = labels
        self.junk = junk
        self.max_rank = max_rank
        self.repeats = repeats
        self.seed = seed
        gp = labels.g_pids
        self.perm = np.argsort(gp, kind="stable")
        gp_perm = gp[self.perm]
        self.gp_perm = gp_perm
        self.starts = np.flatnonzero(np.r_[True, gp_perm[1:] != gp_perm[:-1]])
        self.sizes = np.diff(np.r_[self.starts, len(gp_perm)])
        self.gc_perm = None if labels.g_camids is None else labels.g_camids[self.perm]

    def rows(self, dist_rows: np.ndarray, offset: int) -> np.ndarray:
        """CMC hit counts (C x max_rank: at each rank, how many repeats found the match; zero rows for
        invalid queries) for queries ``offset .. offset + C``. Divide by ``repeats`` for CMC."""
        n_rows = dist_rows.shape[0]
        out = np.zeros((n_rows, self.max_rank), dtype=np.int64)
        perm = self.perm
        n_g = len(perm)
        for r in range(n_rows):
            i = offset + r
            d = np.asarray(dist_rows[r])[perm]
            same = self.gp_perm == self.labels.q_pids[i]
            junk = np.zeros(n_g, dtype=bool)
            if self.junk == "same-camera":
                junk = same & (self.gc_perm == self.labels.q_camids[i])
            if not (same & ~junk).any():
                continue
            keys = draw_keys(self.seed, i, self.repeats, n_g)[:, perm]
            keys[:, junk] = 2.0  # junk is never drawn (keys are in [0, 1))
            gmin = np.minimum.reduceat(keys, self.starts, axis=1)
            chosen = (keys == np.repeat(gmin, self.sizes, axis=1)) & (keys < 2.0)
            pos_col = np.argmax(chosen & same, axis=1)  # the drawn positive of each repeat
            dp = d[pos_col][:, None]
            ip = perm[pos_col][:, None]
            ahead = chosen & ~same & ((d < dp) | ((d == dp) & (perm < ip)))
            first = ahead.sum(axis=1)  # 0-based position of the drawn positive in the sub-list
            hist = np.bincount(np.minimum(first, self.max_rank), minlength=self.max_rank + 1)
            out[r] = np.cumsum(hist[: self.max_rank])
        return out
