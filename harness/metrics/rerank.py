"""k-reciprocal re-ranking (Zhong et al., CVPR 2017), exact and memory-bounded.

The published algorithm (the authors' Python code, as ported into torchreid ``utils/rerank.py``):

1. ``d`` = the (Q+G) x (Q+G) matrix of *squared* distances (the code squares the plain distances it
   is given), each column divided by its maximum, then transposed (for a symmetric matrix: each row
   divided by its maximum); ``rank`` = its row-wise ascending order.
2. For every item i: R(i) = the k1-reciprocal set (j among i's first k1+1 neighbours, self included,
   such that i is among j's first k1+1); for each j in R(i) whose own round(k1/2)-reciprocal set
   R'(j) overlaps R(i) in more than 2/3 of |R'(j)| items, add R'(j); weights ``exp(-d[i, e])`` over the
   union, normalised to sum 1 (row V[i]).
3. Local query expansion: V[i] = mean of V over i's first k2 neighbours (self included), if k2 > 1.
4. Jaccard distance for query rows: ``1 - s / (2 - s)`` with ``s = sum_k min(V[i,k], V[g,k])``;
   final = ``(1 - lambda) * jaccard + lambda * d``, query rows x gallery columns.

Tie policy: ``rank`` is a stable sort (equal distances: lower index first); the published code uses an
unstable sort, so the two agree whenever no two distances in a row are equal.

:func:`rerank_dense` is a plain dense NumPy reference (O(N^2) memory). :class:`KReciprocalReranker`
computes the same result with memory O(N * k) plus one block of rows: nearest neighbours come from
a streaming pass over row blocks, V and its expansion are kept sparse, and Jaccard rows are computed
only for queries, block by block.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import MetricError
from harness.metrics.inputs import params_from_arg

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class RerankParams:
    """k-reciprocal re-ranking parameters (defaults of the paper and torchreid / fast-reid)."""

    k1: int = 20
    k2: int = 6
    lambda_value: float = 0.3

    @classmethod
    def from_arg(cls, arg: Any) -> RerankParams:
        p = params_from_arg(cls, arg, "rerank")
        if not (isinstance(p.k1, int) and p.k1 >= 1 and isinstance(p.k2, int) and p.k2 >= 1):
            raise MetricError(f"rerank: k1 and k2 must be positive integers, got k1={p.k1!r}, k2={p.k2!r}")
        if not 0.0 <= float(p.lambda_value) <= 1.0:
            raise MetricError(f"rerank: lambda_value must be in [0, 1], got {p.lambda_value!r}")
        return p

    def conventions(self, implementation: str, normalize: bool | None = None) -> dict[str, Any]:
        return {
            "method": "k-reciprocal (Zhong et al. 2017), published algorithm",
            "k1": self.k1,
            "k2": self.k2,
            "lambda_value": float(self.lambda_value),
            "input": "squared euclidean distances"
            + ("" if normalize is None else f" of {'L2-normalised' if normalize else 'raw'} features"),
            "row_normalisation": "divided by the row maximum",
            "implementation": implementation,
            "tie_policy": "stable neighbour order (lower index first)",
        }


def _k_reciprocal(rank: np.ndarray, i: int, k: int) -> np.ndarray:
    forward = rank[i, : k + 1]
    backward = rank[forward, : k + 1]
    return forward[np.any(backward == i, axis=1)]


def rerank_dense(
    q_g: np.ndarray,
    q_q: np.ndarray,
    g_g: np.ndarray,
    *,
    k1: int = 20,
    k2: int = 6,
    lambda_value: float = 0.3,
) -> np.ndarray:
    """Plain dense reference of the published algorithm on *plain* (unsquared) distance matrices;
    returns the re-ranked query x gallery distances (float32). Memory O((Q+G)^2)."""
    n_q = q_g.shape[0]
    full = np.concatenate([np.concatenate([q_q, q_g], axis=1), np.concatenate([q_g.T, g_g], axis=1)], axis=0)
    full = np.power(full, 2).astype(np.float32)
    full = np.transpose(full / np.max(full, axis=0))
    n = full.shape[0]
    rank = np.argsort(full, axis=1, kind="stable")
    half = int(np.around(k1 / 2.0))
    v = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        r_i = _k_reciprocal(rank, i, k1)
        expansion = r_i
        for c in r_i:
            r_c = _k_reciprocal(rank, c, half)
            if len(np.intersect1d(r_c, r_i)) > 2.0 / 3 * len(r_c):
                expansion = np.append(expansion, r_c)
        expansion = np.unique(expansion)
        w = np.exp(-full[i, expansion])
        v[i, expansion] = w / np.sum(w)
    if k2 != 1:
        v = np.stack([np.mean(v[rank[i, :k2]], axis=0) for i in range(n)]).astype(np.float32)
    jac = np.zeros((n_q, n), dtype=np.float32)
    for i in range(n_q):
        s = np.minimum(v[i][None, :], v).sum(axis=1, dtype=np.float32)
        jac[i] = 1 - s / (2.0 - s)
    final = jac * (1 - lambda_value) + full[:n_q] * lambda_value
    return final[:, n_q:]


class DenseProvider:
    """Rows and pairs of a precomputed (N x N) *squared* distance matrix (for tests and small inputs).

    The provider protocol: ``shifted_rows(r0, r1, c0, out=None)`` returns ``t`` (rows ``r0..r1``,
    columns from ``c0``; written into ``out`` when given) and ``row_offsets(r0, r1)`` returns ``a`` such
    that the squared distances are ``max(t + a[:, None], 0)``; ``t`` is monotone in the distance within
    a row, so neighbour search may rank ``t`` directly. ``pair_distances(i, j)`` returns the squared
    distances of index pairs.
    """

    def __init__(self, sq: torch.Tensor) -> None:
        self.sq = sq
        self.n = sq.shape[0]
        self.device = sq.device

    def shifted_rows(self, r0: int, r1: int, c0: int = 0, out: torch.Tensor | None = None) -> torch.Tensor:
        import torch

        rows = self.sq[r0:r1, c0:]
        return rows.to(torch.float32, copy=True) if out is None else out.copy_(rows)

    def row_offsets(self, r0: int, r1: int) -> torch.Tensor:
        import torch

        return torch.zeros(r1 - r0, dtype=torch.float32, device=self.device)

    def pair_distances(self, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        import torch

        return self.sq[i, j].to(torch.float32)


class FeatureProvider:
    """Squared euclidean distances (clamped at 0) between rows of one stacked feature matrix.

    A block of rows is one GEMM with the column constant as its bias,
    ``t = |x_j|^2 - 2 x_i.x_j`` (``torch.addmm``, written into a reused buffer: no elementwise pass
    over the block, no fresh pages); the row constant ``|x_i|^2`` is added only where a distance value
    is needed (neighbour search ranks ``t``).
    """

    def __init__(self, x: torch.Tensor) -> None:
        self.x = x.contiguous()
        self.n = x.shape[0]
        self.device = x.device
        self.sq_norm = (self.x * self.x).sum(1)

    def shifted_rows(self, r0: int, r1: int, c0: int = 0, out: torch.Tensor | None = None) -> torch.Tensor:
        import torch

        return torch.addmm(self.sq_norm[None, c0:], self.x[r0:r1], self.x[c0:].t(), alpha=-2.0, out=out)

    def row_offsets(self, r0: int, r1: int) -> torch.Tensor:
        return self.sq_norm[r0:r1]

    def pair_distances(self, i: torch.Tensor, j: torch.Tensor, *, chunk: int = 1 << 15) -> torch.Tensor:
        import torch

        out = torch.empty(len(i), dtype=self.x.dtype, device=self.device)
        for s in range(0, len(i), chunk):
            ii, jj = i[s : s + chunk], j[s : s + chunk]
            dot = torch.linalg.vecdot(self.x.index_select(0, ii), self.x.index_select(0, jj))
            out[s : s + chunk] = dot.mul_(-2.0).add_(self.sq_norm[jj]).add_(self.sq_norm[ii]).clamp_(min=0)
        return out


def map_blocks(fn: Any, n: int, step: int, device: Any) -> list[Any]:
    """``fn(r0, r1)`` for the row blocks ``0 .. n`` of ``step`` rows, results in block order.

    These stages are many small tensor operations, which gain nothing from intra-op threads; on a CPU
    with T > 1 intra-op threads the blocks are spread over T Python threads running one intra-op thread
    each instead (torch releases the GIL inside its operations). Each block's result does not depend
    on the thread that computed it.
    """
    import torch

    bounds = [(r0, min(n, r0 + step)) for r0 in range(0, n, step)]
    threads = torch.get_num_threads()
    workers = min(threads, len(bounds))
    if torch.device(device).type != "cpu" or workers <= 1:
        return [fn(r0, r1) for r0, r1 in bounds]
    from concurrent.futures import ThreadPoolExecutor

    torch.set_num_threads(1)  # read by the pool's new threads when they first run an operation
    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda b: fn(*b), bounds))
    finally:
        torch.set_num_threads(threads)


def _csr(parts: list[tuple[Any, Any, Any]], device: Any) -> tuple[Any, Any, Any]:
    """(row pointers, columns, values) from blocks' (columns, values, entries per row)."""
    import torch

    counts = torch.cat([c for _, _, c in parts])
    crow = torch.cat([torch.zeros(1, dtype=torch.int64, device=device), torch.cumsum(counts, 0)])
    return crow, torch.cat([m for m, _, _ in parts]), torch.cat([v for _, v, _ in parts])


class KReciprocalReranker:
    """Memory-bounded k-reciprocal re-ranking; ``rows(r0, r1)`` yields re-ranked query rows x gallery."""

    QUERY_ROWS_BYTES = 1 << 30
    """Keep the query rows' normalised distances from the neighbour pass when they fit in this many
    bytes (Market-1501: 0.2 GB); larger inputs (MSMT17: 3.8 GB) recompute them block by block."""

    SET_ROWS = 1024
    """Rows per step of the sets (measured: 512-1024 fastest; larger steps lose the bitmap from cache)."""

    KEPT_NEIGHBOURS = 32
    """Candidates per row kept from the neighbour pass (with their distances); about 90 % of the
    members of the expanded k-reciprocal sets are among them, the rest are computed pairwise."""

    def __init__(self, provider: Any, n_query: int, params: RerankParams, *, chunk_size: int = 512) -> None:
        import torch

        self.p = provider
        self.nq = n_query
        self.params = params
        self.chunk = max(1, int(chunk_size))
        n = provider.n
        dev = provider.device
        k1, k2 = params.k1, params.k2
        self.kk = min(n, max(k1 + 1, k2))
        self._scratch: torch.Tensor | None = None
        self.timings_s: dict[str, float] = {"query_rows": 0.0}
        """Wall time of each stage (``neighbours``, ``sets``, ``expansion``, ``columns``,
        ``query_rows``), for profiling; not part of any result."""
        t0 = time.perf_counter()
        # pass 1: row maxima and stable nearest neighbours of the row-normalised squared distances
        self.rowmax = torch.empty(n, dtype=torch.float32, device=dev)
        nn = torch.empty(n, self.kk, dtype=torch.int64, device=dev)
        kept = min(n, max(self.kk + 1, self.KEPT_NEIGHBOURS))
        self.near_idx = torch.empty(n, kept, dtype=torch.int64, device=dev)
        self.near_val = torch.empty(n, kept, dtype=torch.float32, device=dev)
        self.query_rows = None
        if self.nq * (n - self.nq) * 4 <= self.QUERY_ROWS_BYTES:
            self.query_rows = torch.empty(self.nq, n - self.nq, dtype=torch.float32, device=dev)
        buf = torch.empty(min(n, self.chunk), n, dtype=torch.float32, device=dev)
        for r0 in range(0, n, self.chunk):
            r1 = min(n, r0 + self.chunk)
            t = provider.shifted_rows(r0, r1, out=buf[: r1 - r0])
            a = provider.row_offsets(r0, r1)
            self.rowmax[r0:r1] = (t.amax(1) + a).clamp_(min=0)  # amax: no indices, twice as fast as max
            nn[r0:r1] = self._nearest(t, a, r0, r1)
            if self.query_rows is not None and r0 < self.nq:
                q1 = min(r1, self.nq)
                self._normalised(t[: q1 - r0, self.nq :], r0, q1, out=self.query_rows[r0:q1])
        del t, buf
        self.nn = nn
        self.timings_s["neighbours"] = time.perf_counter() - t0
        self._build_v()

    def _nearest(self, t: torch.Tensor, a: torch.Tensor, r0: int, r1: int) -> torch.Tensor:
        """The first ``kk`` columns of the stable ascending order of ``max(t + a, 0) / rowmax``.

        Only the candidates with the smallest ``t`` are normalised (kept, in column order, in
        ``near_idx`` / ``near_val`` for the weights of the sets): the normalisation is monotone in
        ``t``, so outside the candidates no value is below the largest candidate's. A row whose
        ``kk``-th and ``kk + 1``-th normalised values are equal (a tie that might continue outside the
        candidates, for instance duplicated features) is redone exactly on its whole row.
        """
        import torch

        from harness.metrics.topk import smallest_k_by_chunks, smallest_k_stable

        kk, m = self.kk, self.near_idx.shape[1]
        rowmax = self.rowmax[r0:r1, None]
        cand_t, cand = smallest_k_by_chunks(t, m)
        val = (cand_t + a[:, None]).clamp_(min=0).div_(rowmax)
        by_index = torch.argsort(cand, dim=1)
        cand, val = cand.gather(1, by_index), val.gather(1, by_index)
        self.near_idx[r0:r1], self.near_val[r0:r1] = cand, val
        order = torch.sort(val, dim=1, stable=True).indices
        cand, val = cand.gather(1, order), val.gather(1, order)
        out = cand[:, :kk].contiguous()
        if m > kk:
            redo = torch.nonzero(val[:, kk] == val[:, kk - 1]).flatten()
            if len(redo):
                full = (t[redo] + a[redo, None]).clamp_(min=0).div_(rowmax[redo])
                out[redo] = smallest_k_stable(full, kk)
        return out

    def _normalised(self, t: torch.Tensor, r0: int, r1: int, out: torch.Tensor | None = None) -> torch.Tensor:
        """Row-normalised squared distances ``max(t + a, 0) / rowmax`` of rows ``r0 .. r1`` (in place,
        or into ``out``)."""
        import torch

        a = self.p.row_offsets(r0, r1)
        t = t.add_(a[:, None]) if out is None else torch.add(t, a[:, None], out=out)
        return t.clamp_(min=0).div_(self.rowmax[r0:r1, None])

    # --- sets -----------------------------------------------------------------------------------
    def _first(self, k: int) -> torch.Tensor:
        """The first ``k + 1`` neighbours of every item (n x (k + 1), contiguous)."""
        return self.nn if k + 1 == self.nn.shape[1] else self.nn[:, : k + 1].contiguous()

    def _reciprocal_mask(self, first: torch.Tensor, r0: int, r1: int) -> torch.Tensor:
        """mask[i, m]: whether i is among the first k+1 neighbours of its m-th neighbour (m <= k), for
        rows ``r0 .. r1``, from ``first`` = :meth:`_first` (k)."""
        import torch

        k1 = first.shape[1]
        fwd = first[r0:r1]
        back = first.index_select(0, fwd.reshape(-1)).view(r1 - r0, k1, k1)
        rows = torch.arange(r0, r1, device=fwd.device)
        return (back == rows[:, None, None]).any(2)

    def _build_v(self) -> None:
        """Rows of V in CSR form: the weights of each item's expanded k-reciprocal set (step 2).

        Works on 1-D keys ``local row * (n + 1) + column`` (column n: padding) for a block of rows:
        set membership is a lookup in a bitmap over the block's keys (about 9x faster than a binary
        search), the unions are one sort of the valid keys, the weights' lookup among the kept
        candidates is a 1-D binary search, and every gather is an ``index_select`` (a row copy,
        several times faster than advanced indexing).
        """
        import torch

        t0 = time.perf_counter()
        n = self.p.n
        dev = self.p.device
        k1 = min(self.params.k1, n - 1)
        half = min(int(np.around(self.params.k1 / 2.0)), n - 1)
        half_nn = self._first(half)
        half_mask = torch.cat(
            [self._reciprocal_mask(half_nn, s, min(n, s + 65536)) for s in range(0, n, 65536)]
        )
        k1_nn = self._first(k1)
        half_len = half_mask.sum(1)
        stride = n + 1
        step = max(1, min(self.SET_ROWS, (64 << 20) // stride))  # a bitmap of at most 64 MB
        scratch = threading.local()

        def block(r0: int, r1: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            c = r1 - r0
            if getattr(scratch, "bitmap", None) is None:
                scratch.bitmap = torch.zeros(min(n, step) * stride, dtype=torch.bool, device=dev)
            bitmap = scratch.bitmap
            local = torch.arange(c, device=dev)[:, None] * stride
            fwd = self.nn[r0:r1, : k1 + 1]  # C x K, K = k1 + 1
            rmask = self._reciprocal_mask(k1_nn, r0, r1)
            in_set = torch.where(rmask, fwd, n).add_(local)  # R(i) as keys (padding: n)
            set_keys = in_set.view(-1)
            # candidate j = fwd[:, m]; its half set half_nn[j][half_mask[j]]
            flat_fwd = fwd.reshape(-1)
            hs = half_nn.index_select(0, flat_fwd).view(c, k1 + 1, -1)  # C x K x H
            hm = half_mask.index_select(0, flat_fwd).view(c, k1 + 1, -1)
            # |R'(j) ∩ R(i)|: members of R'(j) found in R(i), looked up in a bitmap of R(i)'s keys
            h_keys = (hs + local[:, :, None]).view(-1)
            bitmap.index_fill_(0, set_keys, True)
            in_r = bitmap.index_select(0, h_keys).view_as(hs)
            bitmap.index_fill_(0, set_keys, False)
            inter = (in_r & hm).sum(2)
            half_len_j = half_len.index_select(0, flat_fwd).view(c, -1)
            accept = rmask & (inter.to(torch.float64) > (2.0 / 3) * half_len_j.to(torch.float64))
            added = (accept[:, :, None] & hm).view(-1)
            keys = torch.cat([in_set.view(-1), h_keys[added]])
            keys = torch.unique(keys[keys % stride < n])  # sorted: by row, then column
            owner_local = keys // stride
            member = keys - owner_local * stride
            owner = owner_local + r0
            # weights exp(-d[i, e]) over the expanded set, normalised per row; d[i, e] from the
            # neighbour pass where e was one of i's kept candidates (keys sorted like ``keys``)
            near_keys = (self.near_idx[r0:r1] + local).view(-1)
            pos = torch.searchsorted(near_keys, keys).clamp_(max=len(near_keys) - 1)
            hit = near_keys.index_select(0, pos) == keys
            dist = self.near_val[r0:r1].reshape(-1).index_select(0, pos)
            miss = torch.nonzero(~hit).flatten()
            if len(miss):
                i, e = owner.index_select(0, miss), member.index_select(0, miss)
                dist[miss] = self.p.pair_distances(i, e) / self.rowmax.index_select(0, i)
            w = torch.exp(-dist)
            row_sum = torch.zeros(c, dtype=w.dtype, device=dev).index_add_(0, owner_local, w)
            counts = torch.bincount(owner_local, minlength=c)
            return member, w / row_sum.index_select(0, owner_local), counts

        parts = map_blocks(block, n, step, dev)
        self.v = _csr(parts, dev)
        t1 = time.perf_counter()
        self.timings_s["sets"] = t1 - t0
        if self.params.k2 != 1:
            self.v = self._expand(self.v, min(self.params.k2, n))
        t2 = time.perf_counter()
        self.timings_s["expansion"] = t2 - t1
        self._build_gallery_columns()
        self.timings_s["columns"] = time.perf_counter() - t2

    def _expand(self, v, k2: int):
        """Local query expansion: row i becomes the mean of the rows of its first k2 neighbours (their
        entries summed in neighbour order, as the dense mean does). Keys ``local row * n + column``
        are int32 (a block of rows is sized to fit), whose sort is about 3x faster than int64's."""
        import torch

        crow, col, val = v
        n = self.p.n
        dev = self.p.device
        col32 = col.to(torch.int32)

        def block(r0: int, r1: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            nb = self.nn[r0:r1, :k2].reshape(-1)
            owner = torch.arange(r1 - r0, dtype=torch.int32, device=dev).repeat_interleave(k2)
            starts = crow.index_select(0, nb)
            lens = crow.index_select(0, nb + 1) - starts
            src = torch.repeat_interleave(torch.arange(len(nb), device=dev), lens)
            first = torch.cumsum(lens, 0) - lens
            pos = (starts - first).index_select(0, src) + torch.arange(len(src), device=dev)
            key = owner.index_select(0, src) * n + col32.index_select(0, pos)
            key, order = torch.sort(key, stable=True)
            vv = val.index_select(0, pos.index_select(0, order))
            ukey, inv = torch.unique_consecutive(key, return_inverse=True)
            summed = torch.zeros(len(ukey), dtype=torch.float32, device=dev).index_add_(0, inv, vv)
            urow = ukey // n
            counts = torch.bincount(urow, minlength=r1 - r0)
            return (ukey - urow * n).to(torch.int64), summed / k2, counts

        return _csr(map_blocks(block, n, max(1, min(4096, (2**31 - 1) // n)), dev), dev)

    def _build_gallery_columns(self) -> None:
        """Column-wise view of V restricted to gallery rows: for each column, (gallery row, value)."""
        import torch

        crow, col, val = self.v
        n = self.p.n
        row_of = torch.repeat_interleave(torch.arange(n, device=col.device), crow[1:] - crow[:-1])
        g = row_of >= self.nq
        gcol, grow, gval = col[g], row_of[g] - self.nq, val[g]
        order = torch.sort(gcol, stable=True).indices
        self.c_row, self.c_val = grow[order], gval[order]
        counts = torch.bincount(gcol, minlength=n)
        self.c_ptr = torch.cat(
            [torch.zeros(1, dtype=torch.int64, device=col.device), torch.cumsum(counts, 0)]
        )

    def rows(self, r0: int, r1: int, out: torch.Tensor | None = None) -> torch.Tensor:
        """Re-ranked distances of queries ``r0 .. r1`` to every gallery item (float32), written into
        ``out`` ((r1 - r0) x G, contiguous) when given."""
        import torch

        t0 = time.perf_counter()
        n_g = self.p.n - self.nq
        dev = self.p.device
        crow, col, val = self.v
        a, b = int(crow[r0]), int(crow[r1])
        row_lens = crow[r0 + 1 : r1 + 1] - crow[r0:r1]
        e_row = torch.repeat_interleave(torch.arange(r1 - r0, device=dev), row_lens)
        e_col, e_val = col[a:b], val[a:b]
        starts = self.c_ptr.index_select(0, e_col)
        lens = self.c_ptr.index_select(0, e_col + 1) - starts
        # the Jaccard sums s go into a zeroed scratch vector (kept between calls; taken while in use, so
        # an interrupted call cannot leave a dirty one behind) at the keys ``row * G + gallery column``
        size = (r1 - r0) * n_g
        temp, self._scratch = self._scratch, None
        if temp is None or len(temp) < size:
            temp = torch.zeros(size, dtype=torch.float32, device=dev)
        touched = []
        ends = torch.cumsum(lens, 0)
        # expand in slices to bound memory
        e0 = 0
        limit = 1 << 24
        while e0 < len(e_col):
            base = int(ends[e0 - 1]) if e0 else 0
            e1 = int(torch.searchsorted(ends, torch.tensor(base + limit, device=dev), right=True))
            e1 = max(e1, e0 + 1)
            ln = lens[e0:e1]
            src = torch.repeat_interleave(torch.arange(e1 - e0, device=dev), ln)
            first = torch.cumsum(ln, 0) - ln
            pos = (starts[e0:e1] - first).index_select(0, src) + torch.arange(len(src), device=dev)
            contrib = torch.minimum(e_val[e0:e1].index_select(0, src), self.c_val.index_select(0, pos))
            keys = (e_row[e0:e1].index_select(0, src) * n_g).add_(self.c_row.index_select(0, pos))
            temp.index_add_(0, keys, contrib)
            touched.append(keys)
            e0 = e1
        keys = torch.cat(touched) if touched else torch.zeros(0, dtype=torch.int64, device=dev)
        s_nz = temp.index_select(0, keys)
        self._scratch = temp.index_fill_(0, keys, 0.0)
        lam = float(self.params.lambda_value)
        if self.query_rows is not None:
            out = torch.mul(self.query_rows[r0:r1], lam, out=out)
        else:
            out = self._normalised(self.p.shifted_rows(r0, r1, self.nq, out=out), r0, r1).mul_(lam)
        # final = (1 - lam) * (1 - s / (2 - s)) + lam * orig; where the Jaccard sum s is 0 the first term
        # is exactly (1 - lam), so only the entries with s > 0 (the touched keys; a key touched twice is
        # written twice with the same value) are computed in full
        flat = out.view(-1)
        lam_orig = flat.index_select(0, keys)
        flat.add_(1 - lam)
        final = torch.div(s_nz, s_nz.neg().add_(2.0)).neg_().add_(1.0).mul_(1 - lam).add_(lam_orig)
        flat.index_copy_(0, keys, final)
        self.timings_s["query_rows"] += time.perf_counter() - t0
        return out

    def iter_rows(self, step: int) -> Iterator[tuple[int, torch.Tensor]]:
        """``(r0, rows(r0, r0 + step))`` for every block of query rows, in order. On a CPU with more
        than one torch thread, the next block is computed in a second thread while the caller works
        on the current one (two output buffers: a block stays valid until the caller asks for the
        block after the next)."""
        import torch

        starts = list(range(0, self.nq, step))
        n_g = self.p.n - self.nq
        shape = (min(step, self.nq), n_g)
        bufs = [torch.empty(shape, dtype=torch.float32, device=self.p.device) for _ in range(2)]
        bufs = [torch.empty(shape, dtype=torch.float32, device=self.p.device) for _ in range(2)]

        def block(i: int) -> torch.Tensor:
            r0 = starts[i]
            r1 = min(self.nq, r0 + step)
            return self.rows(r0, r1, out=bufs[i % 2][: r1 - r0])

        if self.p.device.type != "cpu" or torch.get_num_threads() <= 1 or len(starts) < 2:
            for i, r0 in enumerate(starts):
                yield r0, block(i)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(block, 0)
            for i, r0 in enumerate(starts):
                current = pending.result()
                if i + 1 < len(starts):
                    pending = pool.submit(block, i + 1)
                yield r0, current

    @classmethod
    def from_features(
        cls, q: torch.Tensor, g: torch.Tensor, params: RerankParams, *, normalize: bool, chunk_size: int = 512
    ) -> KReciprocalReranker:
        import torch

        x = torch.cat([q, g]).to(torch.float32)
        if normalize:  # F.normalize's arithmetic, in place on the fresh copy
            x.div_(x.norm(2, dim=1, keepdim=True).clamp_min_(1e-12))
        return cls(FeatureProvider(x), len(q), params, chunk_size=chunk_size)

    def full(self) -> np.ndarray:
        """All re-ranked query rows as one NumPy array (Q x G); for small inputs."""
        return np.concatenate([block.cpu().numpy().copy() for _, block in self.iter_rows(self.chunk)])


def rerank_features(
    q_feats: Any,
    g_feats: Any,
    *,
    k1: int = 20,
    k2: int = 6,
    lambda_value: float = 0.3,
    normalize: bool = True,
    chunk_size: int = 512,
    device: str = "cpu",
) -> np.ndarray:
    """Re-ranked query x gallery distances from features (memory-bounded implementation), as the
    published algorithm applied to the euclidean distances of the (L2-normalised) features."""
    from harness.metrics.distance import as_tensor

    q = as_tensor(q_feats, device, "q_feats")
    g = as_tensor(g_feats, device, "g_feats")
    params = RerankParams.from_arg({"k1": k1, "k2": k2, "lambda_value": lambda_value})
    return KReciprocalReranker.from_features(q, g, params, normalize=normalize, chunk_size=chunk_size).full()
