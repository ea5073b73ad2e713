"""Deterministic k smallest per row: ties broken by column index (the rank of a stable sort)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def smallest_k_stable(x: torch.Tensor, k: int) -> torch.Tensor:
    """Column indices (rows x k) of the ``k`` smallest entries of each row, ordered by (value, index):
    exactly the first ``k`` columns of a stable ascending argsort of the row."""
    import torch

    n = x.shape[1]
    k = min(k, n)
    vals, idx = torch.topk(x, k, dim=1, largest=False, sorted=True)
    kth = vals[:, -1:]
    n_le = torch.count_nonzero(x <= kth, dim=1)
    fix = torch.nonzero(n_le > k).flatten()
    if len(fix):  # boundary ties: keep the lowest indices among the entries equal to the k-th value
        sub = x[fix]
        less = sub < kth[fix]
        eq = sub == kth[fix]
        need = k - less.sum(1, keepdim=True)
        take = less | (eq & (torch.cumsum(eq, 1) <= need))
        idx[fix] = torch.nonzero(take)[:, 1].view(len(fix), k)
    idx = torch.sort(idx, dim=1).values
    order = torch.sort(x.gather(1, idx), dim=1, stable=True).indices
    return idx.gather(1, order)


CHUNK_ENTRIES = 16
"""Entries per chunk of :func:`smallest_k_by_chunks` (measured fastest for 20k-100k wide rows)."""


def smallest_k_by_chunks(
    x: torch.Tensor, k: int, *, chunk: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Values and column indices (rows x k, in no particular order) of ``k`` smallest entries of each
    row; among entries tied at the k-th value, which ones are returned is unspecified.

    Same contract as ``torch.topk(x, k, largest=False, sorted=False)``, computed from chunks of
    ``chunk`` entries (default :data:`CHUNK_ENTRIES`): with ``m = n // chunk``, chunk ``c`` holds the
    columns ``c, c + m, c + 2m, ...`` (so the chunk minima are one vectorised minimum over ``chunk``
    row slices); the ``k`` chunks with the smallest minima are chosen, and the result is the ``k``
    smallest entries among their columns and the columns after ``chunk * m``. Exact: let v be the
    row's k-th smallest value. An entry e < v lies among the candidates, else the ``k`` chosen chunks'
    minima (each <= e) and e would be k + 1 entries below v; and the candidates hold at least ``k``
    entries <= v (all of them, or ``k`` minima <= v). Rows with fewer than ``8 k`` chunks go straight
    to ``torch.topk`` (no gain there).
    """
    import torch

    chunk = chunk or CHUNK_ENTRIES
    rows, n = x.shape
    k = min(k, n)
    m = n // chunk
    if m < 8 * k:
        return torch.topk(x, k, dim=1, largest=False, sorted=False)
    full = m * chunk
    spread = x[:, :full].reshape(rows, chunk, m)  # a view: [r, j, c] = x[r, c + j * m]
    chosen = torch.topk(spread.amin(1), k, dim=1, largest=False, sorted=False).indices
    vals = spread.gather(2, chosen[:, None, :].expand(rows, chunk, k)).view(rows, chunk * k)
    if full < n:  # the columns after the last whole chunk are always candidates
        vals = torch.cat([vals, x[:, full:]], dim=1)
    best, pos = torch.topk(vals, k, dim=1, largest=False, sorted=False)
    in_chunk = pos < chunk * k
    col = chosen.gather(1, pos.remainder(k)) + pos.div(k, rounding_mode="floor").clamp_(max=chunk - 1) * m
    return best, torch.where(in_chunk, col, pos - chunk * k + full)
