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
