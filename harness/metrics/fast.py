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

DEFAULT_BLOCK_ELEMENTS = 1 << 24  # chunk x gallery elements per block (64 MiB of float32 distances)
CELLS = 2048
"""Equal-width cells between a query's first and last positive distance (exactness does not depend on it)."""


def default_chunk_size(n_gallery: int, n_query: int) -> int:
    """Rows per block so that a block holds about 2**25 distances."""
    return int(max(1, min(n_query, DEFAULT_BLOCK_ELEMENTS // max(1, n_gallery))))


class FastEvaluator:
    """Accumulates per-query CMC first ranks, AP and INP from blocks of distance rows."""

    def __init__(self, labels: Labels, *, junk: str, ap: str, device: torch.device | str) -> None:
        import torch

        self.junk = junk
        self.ap = ap
        self.device = torch.device(device)
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

        rr, jj = (dist <= thr[:, None]).nonzero(as_tuple=True)
        neg = self.g_code[jj] != qc[rr]
        rr, jj = rr[neg], jj[neg]
        neg_ahead = self._negatives_ahead(dist[rr, jj], rr, jj, t, tidx, tval, n_rows, pmax)
        self._finish(rows, neg_ahead, n_pos, ok, pmax)

    def _negatives_ahead(self, v, rr, jj, t, tidx, tval, n_rows, pmax):
        """For every (row, positive k): the number of candidate negatives (v, rr, jj) ranked before it.

        Candidates are bucketed into ``CELLS`` equal cells between the row's first and last positive
        distance (a monotone map, so a lower cell means a strictly smaller distance); a cumulative
        histogram counts the candidates in lower cells, and only candidates sharing a cell with a
        positive are compared exactly (distance, then gallery index).
        """
        import torch

        dev = t.device
        m = CELLS
        tv64 = t.to(torch.float64)
        lo = tv64[:, 0]
        hi = tv64.gather(1, (tval.sum(1) - 1).clamp(min=0)[:, None]).squeeze(1)
        span = hi - lo
        finite = torch.isfinite(lo) & torch.isfinite(hi) & (span > 0)
        scale = torch.where(finite, m / torch.where(finite, span, torch.ones_like(span)), 0.0)
        lo = torch.where(finite, lo, 0.0)

        def cells(x, lo_, scale_, below):
            off = torch.where(scale_ > 0, (x - lo_) * scale_, torch.zeros_like(x))
            c = off.floor_().clamp_(min=0, max=m).to(torch.int64) + 1
            return torch.where(below, torch.zeros_like(c), c)  # 0: below the first positive

        first = tv64[:, :1]
        pcell = cells(tv64, lo[:, None], scale[:, None], tv64 < first)  # C x Pmax, in 1..m+1
        v64 = v.to(torch.float64)
        ccell = cells(v64, lo[rr], scale[rr], v64 < first[rr, 0])
        width = m + 2
        hist = torch.bincount(rr * width + ccell, minlength=n_rows * width).view(n_rows, width)
        below = torch.cumsum(hist, 1) - hist  # candidates in strictly lower cells
        ahead = below.gather(1, pcell)
        marked = torch.zeros(n_rows, width, dtype=torch.bool, device=dev)
        marked[torch.arange(n_rows, device=dev)[:, None].expand_as(pcell)[tval], pcell[tval]] = True
        amb = marked[rr, ccell]
        if bool(amb.any()):
            ra, va, ja, ca = rr[amb], v[amb], jj[amb], ccell[amb]
            step = max(1, (1 << 22) // pmax)
            for s in range(0, len(ra), step):
                r, x, j, c = ra[s : s + step], va[s : s + step], ja[s : s + step], ca[s : s + step]
                tt = t[r]
                xx = x[:, None]
                hit = tval[r] & (pcell[r] == c[:, None]) & ((xx < tt) | ((xx == tt) & (j[:, None] < tidx[r])))
                ahead.index_add_(0, r, hit.to(torch.int64))
        return ahead

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
