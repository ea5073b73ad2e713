"""Chunked, sort-free torch evaluator (CPU or CUDA) with the reference's exact semantics.

For each block of query rows (C x G distances, never a Q x G index or match matrix):

1. the query's same-pid gallery items are gathered from a pid-sorted gallery index (C x Pmax), junk
   (same camera) is dropped and the positives are sorted by (distance, gallery index);
2. only gallery entries no farther than the query's last positive can rank ahead of a positive;
   for each such negative its bucket (the number of positives ranked before it, ties broken by
   gallery index) is counted, and a cumulative histogram gives, for every positive, the number of
   negatives ranked ahead of it;
3. the 1-based rank of the k-th positive is ``k + negatives ahead``; CMC (first positive), step or
   trapezoid AP and INP (last positive) follow exactly, in float64.

Cost O(C * G) per block plus O(K * Pmax) for the K candidate negatives (a dense ``searchsorted``
route is used when K is large); peak memory is proportional to chunk x gallery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness.metrics.inputs import Labels

if TYPE_CHECKING:
    import torch

DEFAULT_BLOCK_ELEMENTS = 1 << 25  # chunk x gallery elements per block (~128 MiB of float32 distances)


def default_chunk_size(n_gallery: int, n_query: int) -> int:
    """Rows per block so that a block holds about 2**25 distances."""
    return int(max(1, min(n_query, DEFAULT_BLOCK_ELEMENTS // max(1, n_gallery))))


class FastEvaluator:
    """Accumulates per-query CMC first ranks, AP and INP from blocks of distance rows."""

    def __init__(
        self, labels: Labels, *, junk: str, ap: str, device: torch.device | str, dense_factor: float = 2.0
    ) -> None:
        import torch

        self.junk = junk
        self.ap = ap
        self.device = torch.device(device)
        self.dense_factor = dense_factor
        n_q = len(labels.q_pids)
        dev = self.device
        gp = torch.from_numpy(labels.g_pids).to(dev)
        n_codes = int(max(labels.g_pids.max(initial=0), labels.q_pids.max(initial=0))) + 1
        self.g_code = gp
        self.q_code = torch.from_numpy(labels.q_pids).to(dev)
        self.order = torch.argsort(gp, stable=True)  # gallery indices sorted by (pid, index)
        counts = torch.bincount(gp, minlength=n_codes)
        self.counts = counts
        self.starts = torch.cumsum(counts, 0) - counts
        if junk == "same-camera":
            self.g_cam = torch.from_numpy(labels.g_camids).to(dev)
            self.q_cam = torch.from_numpy(labels.q_camids).to(dev)
        self.n_gallery = len(labels.g_pids)
        self.valid = np.zeros(n_q, dtype=bool)
        self.first_rank = np.zeros(n_q, dtype=np.int64)
        self.query_ap = np.full(n_q, np.nan)
        self.query_inp = np.full(n_q, np.nan)
        self.routes = {"flat": 0, "dense": 0}

    def results(self) -> dict[str, np.ndarray]:
        return {
            "valid": self.valid,
            "first_rank": self.first_rank,
            "ap": self.query_ap,
            "inp": self.query_inp,
        }

    def process(self, dist: torch.Tensor, row0: int) -> None:
        """Evaluate query rows ``row0 .. row0 + len(dist)`` from their distance rows."""
        import torch

        dev = dist.device
        n_rows, n_g = dist.shape
        rows = slice(row0, row0 + n_rows)
        qc = self.q_code[rows]
        cnt = self.counts[qc]
        pmax = int(cnt.max())
        if pmax == 0:
            return
        ar = torch.arange(pmax, device=dev)
        in_group = ar[None, :] < cnt[:, None]
        slot = (self.starts[qc][:, None] + ar[None, :]).clamp_(max=n_g - 1)
        pidx = self.order[slot]  # C x Pmax, ascending gallery index within each row
        pos_ok = in_group
        if self.junk == "same-camera":
            pos_ok = in_group & (self.g_cam[pidx] != self.q_cam[rows][:, None])
        pd = dist.gather(1, pidx)
        # sort positives by (valid first, distance, gallery index): two stable sorts
        o1 = torch.sort(pd, dim=1, stable=True).indices
        pd, pidx, pos_ok = pd.gather(1, o1), pidx.gather(1, o1), pos_ok.gather(1, o1)
        o2 = torch.sort((~pos_ok).to(torch.uint8), dim=1, stable=True).indices
        t, tidx, tval = pd.gather(1, o2), pidx.gather(1, o2), pos_ok.gather(1, o2)
        n_pos = tval.sum(1)
        ok = n_pos > 0
        if not bool(ok.any()):
            return
        last = t.gather(1, (n_pos - 1).clamp(min=0)[:, None]).squeeze(1)
        neg_inf = torch.tensor(float("-inf"), dtype=dist.dtype, device=dev)
        thr = torch.where(ok, last, neg_inf)

        cand = dist <= thr[:, None]
        n_cand = int(cand.sum())
        if n_cand * pmax <= self.dense_factor * n_rows * n_g:
            hist = self._flat_hist(dist, cand, qc, t, tidx, tval, pmax)
            self.routes["flat"] += 1
        else:
            hist = self._dense_hist(dist, qc, t, tidx, tval, n_pos, pmax)
            self.routes["dense"] += 1
        neg_ahead = torch.cumsum(hist, 1)[:, :pmax]
        self._finish(rows, neg_ahead, n_pos, ok, pmax)

    def _before(self, v, j, t, tidx, tval):
        """Number of valid positives ranked before entries (v, j): smaller distance, or equal distance
        and smaller gallery index."""
        vv = v[:, None]
        return (tval & ((t < vv) | ((t == vv) & (tidx < j[:, None])))).sum(1)

    def _flat_hist(self, dist, cand, qc, t, tidx, tval, pmax):
        import torch

        rr, jj = cand.nonzero(as_tuple=True)
        neg = self.g_code[jj] != qc[rr]
        rr, jj = rr[neg], jj[neg]
        n_rows = dist.shape[0]
        hist = torch.zeros(n_rows * (pmax + 1), dtype=torch.int64, device=dist.device)
        step = max(1, (1 << 24) // pmax)
        for s in range(0, len(rr), step):
            r, j = rr[s : s + step], jj[s : s + step]
            b = self._before(dist[r, j], j, t[r], tidx[r], tval[r])
            hist.index_add_(0, r * (pmax + 1) + b, torch.ones_like(b))
        return hist.view(n_rows, pmax + 1)

    def _dense_hist(self, dist, qc, t, tidx, tval, n_pos, pmax):
        import torch

        inf = torch.tensor(float("inf"), dtype=dist.dtype, device=dist.device)
        tkey = torch.where(tval, t, inf).contiguous()
        b = torch.searchsorted(tkey, dist.contiguous())  # number of valid positives strictly closer
        tie = (b < n_pos[:, None]) & (tkey.gather(1, b.clamp(max=pmax - 1)) == dist)
        if bool(tie.any()):
            rr, jj = tie.nonzero(as_tuple=True)
            v = dist[rr, jj]
            eq_before = (tval[rr] & (t[rr] == v[:, None]) & (tidx[rr] < jj[:, None])).sum(1)
            b[rr, jj] += eq_before
        neg = (self.g_code[None, :] != qc[:, None]).to(torch.int64)
        hist = torch.zeros(dist.shape[0], pmax + 1, dtype=torch.int64, device=dist.device)
        hist.scatter_add_(1, b, neg)
        return hist

    def _finish(self, rows, neg_ahead, n_pos, ok, pmax):
        import torch

        dev = neg_ahead.device
        k = torch.arange(1, pmax + 1, device=dev, dtype=torch.float64)[None, :]
        rank = k + neg_ahead.to(torch.float64)
        mask = k <= n_pos[:, None]
        npos = n_pos.to(torch.float64).clamp(min=1)
        prec = k / rank
        if self.ap == "step":
            contrib = prec
        else:
            before = torch.where(rank > 1, (k - 1) / (rank - 1).clamp(min=1), torch.ones_like(rank))
            contrib = (before + prec) / 2
        ap = (contrib * mask).sum(1) / npos
        first = rank[:, 0]
        last = rank.gather(1, (n_pos - 1).clamp(min=0)[:, None]).squeeze(1)
        inp = n_pos.to(torch.float64) / last
        okc = ok.cpu().numpy()
        idx = np.arange(rows.start, rows.stop)[okc]
        self.valid[idx] = True
        self.first_rank[idx] = first.cpu().numpy().astype(np.int64)[okc]
        self.query_ap[idx] = ap.cpu().numpy()[okc]
        self.query_inp[idx] = inp.cpu().numpy()[okc]
