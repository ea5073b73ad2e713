"""Chunked, sort-free torch evaluator (CPU or CUDA) with the reference's exact semantics.

For each block of query rows (C x G distances, never a Q x G index or match matrix):

1. the query's same-pid gallery items are gathered from a pid-sorted gallery index (C x Pmax), junk
   (same camera) is dropped and the positives are sorted by (distance, gallery index);
2. only entries no farther than the query's last positive can rank ahead of a positive. These
   candidates are bucketed into ``CELLS`` equal-width cells between the query's first and last
   positive distance (a monotone map: a lower cell means a strictly smaller distance); a cumulative
   histogram of the cells counts, for every positive, the candidates in lower cells, the same-pid
   items among them are subtracted, and the few negatives sharing a cell with a positive are
   compared exactly by (distance, gallery index);
3. the 1-based rank of the k-th positive is ``k + negatives ahead``; CMC (first positive), step or
   trapezoid AP and INP (last positive) follow exactly, in float64.

Blocks with few candidates work on compacted candidate lists; blocks where more than
``DENSE_FRACTION`` of the entries are candidates work elementwise on the whole block. Cost O(C * G)
per block; peak memory is proportional to chunk x gallery. Every op exists on CUDA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness.metrics.inputs import Labels

if TYPE_CHECKING:
    import torch

DEFAULT_BLOCK_ELEMENTS = 1 << 25  # chunk x gallery elements per block (128 MiB of float32 distances)
CELLS = 8192
"""At most this many equal-width cells between a query's first and last positive distance (and at most
gallery / 8, at least 64); exactness does not depend on it."""
DENSE_FRACTION = 0.125
"""Above this fraction of candidate entries in a block, the elementwise (dense) route is used."""


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
        # sort same-pid items by (valid positive first, distance, gallery index): two stable sorts
        o1 = torch.sort(pd, dim=1, stable=True).indices
        pd, pidx, pos_ok, in_group = (x.gather(1, o1) for x in (pd, pidx, pos_ok, in_group))
        o2 = torch.sort((~pos_ok).to(torch.uint8), dim=1, stable=True).indices
        t, tidx, tval, tgrp = (x.gather(1, o2) for x in (pd, pidx, pos_ok, in_group))
        n_pos = tval.sum(1)
        ok = n_pos > 0
        if not bool(ok.any()):
            return
        last = t.gather(1, (n_pos - 1).clamp(min=0)[:, None]).squeeze(1)
        neg_inf = torch.tensor(float("-inf"), dtype=dist.dtype, device=dev)
        thr = torch.where(ok, last, neg_inf)
        cm = self._cell_map(t, tval, dist.dtype, min(CELLS, max(64, n_g // 8)))
        pcell, marked, width = cm["pcell"], cm["marked"], cm["width"]

        # candidates: every entry no farther than the last positive (same-pid ones are removed below)
        cand = dist <= thr[:, None]
        flat = cand.view(-1).nonzero().squeeze(1)
        if len(flat) <= DENSE_FRACTION * cand.numel():
            del cand
            v = dist.reshape(-1)[flat]
            # flat indices are row-major sorted: per-row counts from the row boundaries
            bounds = torch.arange(n_rows + 1, device=dev) * n_g
            per_row = torch.diff(torch.searchsorted(flat, bounds))
            rr = torch.repeat_interleave(torch.arange(n_rows, device=dev), per_row, output_size=len(flat))

            def rep(x):
                return torch.repeat_interleave(x, per_row, output_size=len(flat))

            cell = self._cells(
                v,
                rep(cm["lo"]),
                rep(cm["scale"]),
                rep(cm["first"]),
                None if cm["nonfinite"] is None else rep(cm["nonfinite"]),
                cm["m"],
            )
            key = rr * width + cell
            hist = torch.bincount(key, minlength=n_rows * width).view(n_rows, width)
            amb = marked.view(-1)[key].nonzero().squeeze(1)
            ra, va, ca = rr[amb], v[amb], cell[amb]
            ja = flat[amb] - ra * n_g
        else:
            del flat
            cell = self._cells(
                dist,
                cm["lo"][:, None],
                cm["scale"][:, None],
                cm["first"][:, None],
                None if cm["nonfinite"] is None else cm["nonfinite"][:, None],
                cm["m"],
            )
            cell.masked_fill_(~cand, width - 1)
            del cand
            ones = torch.ones(1, dtype=torch.int64, device=dev).expand_as(cell)
            hist = torch.zeros(n_rows, width, dtype=torch.int64, device=dev).scatter_add_(1, cell, ones)
            ra, ja = marked.gather(1, cell).nonzero(as_tuple=True)
            va, ca = dist[ra, ja], cell[ra, ja]
        # candidates in strictly lower cells than each positive, minus same-pid items among them
        ahead = (torch.cumsum(hist, 1) - hist).gather(1, pcell)
        same = tgrp & (t <= thr[:, None])
        ahead -= (same[:, None, :] & (pcell[:, None, :] < pcell[:, :, None])).sum(2)
        # candidates sharing a cell with a positive: exact comparison, negatives only
        neg = self.g_code[ja] != qc[ra]
        ahead = self._exact_in_cell(ahead, ra[neg], va[neg], ja[neg], ca[neg], t, tidx, tval, pcell, pmax)
        self._finish(rows, ahead, n_pos, ok, pmax)

    # Negatives ahead of each positive. Candidates (entries no farther than the row's last positive)
    # are bucketed into CELLS equal cells between the row's first and last positive distance. The map
    # is monotone, so a lower cell means a strictly smaller distance: a cumulative histogram counts
    # the candidates in lower cells, and only candidates sharing a cell with a positive are compared
    # exactly (distance, then gallery index). Exactness does not depend on CELLS.
    def _cell_map(self, t, tval, dtype, m: int) -> dict:
        import torch

        tw = t.to(dtype)
        lo = tw[:, 0]
        hi = tw.gather(1, (tval.sum(1) - 1).clamp(min=0)[:, None]).squeeze(1)
        span = hi - lo
        finite = torch.isfinite(lo) & torch.isfinite(hi)
        # finite rows: cell = floor((x - lo) * scale) clamped to [-1, m], plus 1; a zero span (one
        # distinct positive distance) uses scale 1. Rows with an infinite positive distance put
        # every entry in cell 1 (all compared exactly) except entries below the first positive.
        scale = torch.where(span > 0, m / torch.where(span > 0, span, torch.ones_like(span)), 1.0)
        scale = torch.where(finite, scale, 0.0).to(dtype)
        lo = torch.where(finite, lo, 0.0).to(dtype)
        first = tw[:, 0]
        nonfinite = None if bool(finite.all()) else ~finite
        pcell = self._cells(
            tw,
            lo[:, None],
            scale[:, None],
            first[:, None],
            None if nonfinite is None else nonfinite[:, None],
            m,
        )
        width = m + 3  # cell 0: below the first positive; m + 2: not a candidate (dense route)
        marked = torch.zeros(t.shape[0], width, dtype=torch.bool, device=t.device)
        rows = torch.arange(t.shape[0], device=t.device)[:, None].expand_as(pcell)
        marked[rows[tval], pcell[tval]] = True
        return {
            "m": m,
            "lo": lo,
            "scale": scale,
            "first": first,
            "nonfinite": nonfinite,
            "pcell": pcell,
            "marked": marked,
            "width": width,
        }

    @staticmethod
    def _cells(x, lo, scale, first, nonfinite, m):
        import torch

        off = (x - lo).mul_(scale)
        if nonfinite is not None:
            off.nan_to_num_(nan=0.0)
        c = off.floor_().clamp_(min=-1, max=m).to(torch.int64).add_(1)
        if nonfinite is not None:
            c.masked_fill_((x < first) & nonfinite, 0)
        return c

    def _exact_in_cell(self, ahead, r_all, v_all, j_all, c_all, t, tidx, tval, pcell, pmax):
        import torch

        step = max(1, (1 << 22) // pmax)
        for s in range(0, len(r_all), step):
            r, x, j, c = r_all[s : s + step], v_all[s : s + step], j_all[s : s + step], c_all[s : s + step]
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
