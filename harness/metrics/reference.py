"""Plain per-query NumPy reference evaluator: the definition the fast path is tested against.

For every query: a full stable ``argsort`` of its distance row (ties: lower gallery index first),
removal of junk (same pid and same camera, for ``junk='same-camera'``), then CMC, AP and INP read off
the positions of the remaining positives. This is the algorithm of torchreid's / fast-reid's
pure-Python ``eval_market1501`` (per-query argsort + NumPy masking), with a stable sort, a vectorised
AP and fast-reid's mINP. It is O(Q * G log G) and meant for tests and small inputs.
"""

from __future__ import annotations

import numpy as np

from harness.metrics.inputs import Labels


def query_positions(row: np.ndarray, i: int, labels: Labels, junk: str) -> np.ndarray:
    """0-based positions of the positives of query ``i`` in its junk-filtered ranking."""
    order = np.argsort(row, kind="stable")
    same = labels.g_pids[order] == labels.q_pids[i]
    if junk == "same-camera":
        keep = ~(same & (labels.g_camids[order] == labels.q_camids[i]))
        same = same[keep]
    return np.flatnonzero(same)


def ap_from_positions(hits: np.ndarray, kind: str) -> float:
    """AP from the 0-based positions of all positives (step: mean precision at each hit; trapezoid:
    Market-1501 MATLAB, mean of the precision just before and at each hit, 1 before rank 1)."""
    k = np.arange(1, len(hits) + 1, dtype=np.float64)
    rank = hits.astype(np.float64) + 1.0
    precision = k / rank
    if kind == "step":
        return float(precision.mean())
    before = np.where(rank > 1, (k - 1) / np.maximum(rank - 1, 1), 1.0)
    return float(((before + precision) / 2).mean())


def evaluate_reference(distmat: np.ndarray, labels: Labels, *, junk: str, ap: str) -> dict[str, np.ndarray]:
    """Per-query ``valid``, ``first_rank`` (1-based, 0 if invalid), ``ap`` and ``inp`` (NaN if invalid)."""
    n_q = distmat.shape[0]
    valid = np.zeros(n_q, dtype=bool)
    first = np.zeros(n_q, dtype=np.int64)
    aps = np.full(n_q, np.nan)
    inps = np.full(n_q, np.nan)
    for i in range(n_q):
        hits = query_positions(np.asarray(distmat[i]), i, labels, junk)
        if len(hits) == 0:
            continue
        valid[i] = True
        first[i] = hits[0] + 1
        aps[i] = ap_from_positions(hits, ap)
        inps[i] = len(hits) / (hits[-1] + 1.0)
    return {"valid": valid, "first_rank": first, "ap": aps, "inp": inps}


def sgs_reference(
    distmat: np.ndarray,
    labels: Labels,
    *,
    junk: str,
    max_rank: int,
    repeats: int,
    seed: int,
) -> np.ndarray:
    """CUHK03 single-gallery-shot CMC hit counts (Q x max_rank, summed over repeats; zero rows for
    invalid queries), literally: in each repeat keep one randomly drawn kept item per gallery pid, then
    CMC on that sub-list."""
    from harness.metrics.cuhk03 import draw_keys

    n_q, n_g = distmat.shape
    rows = np.zeros((n_q, max_rank), dtype=np.int64)
    for i in range(n_q):
        order = np.argsort(np.asarray(distmat[i]), kind="stable")
        same = labels.g_pids[order] == labels.q_pids[i]
        keep = np.ones(n_g, dtype=bool)
        if junk == "same-camera":
            keep = ~(same & (labels.g_camids[order] == labels.q_camids[i]))
        if not same[keep].any():
            continue
        kept = order[keep]
        keys = draw_keys(seed, i, repeats, n_g)
        for r in range(repeats):
            chosen = np.zeros(len(kept), dtype=bool)
            for pid in np.unique(labels.g_pids[kept]):
                members = np.flatnonzero(labels.g_pids[kept] == pid)
                chosen[members[np.argmin(keys[r, kept[members]])]] = True
            sub = labels.g_pids[kept][chosen] == labels.q_pids[i]
            first = int(np.flatnonzero(sub)[0])
            if first < max_rank:
                rows[i, first:] += 1
    return rows
