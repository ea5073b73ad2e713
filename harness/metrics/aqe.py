"""Average query expansion (fast-reid ``TEST.AQE``), chunked so no (Q+G) x (Q+G) matrix is held.

Query and gallery features are pooled (transductive). For ``qe_times`` rounds, every feature is
replaced by ``mean_k(f[n_k] * s_k ** alpha)`` over its ``qe_k`` most cosine-similar pooled features
``n_k`` (itself included), ``s_k`` their cosine similarities; the un-normalised features are
averaged, as in fast-reid. fast-reid's config defaults: qe_times=1, qe_k=5, alpha=3.0. Neighbour ties
are broken by lower index (fast-reid's ``argpartition`` leaves them unspecified).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import MetricError
from harness.metrics.inputs import params_from_arg

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class AQEParams:
    qe_times: int = 1
    qe_k: int = 5
    alpha: float = 3.0

    @classmethod
    def from_arg(cls, arg: Any) -> AQEParams:
        p = params_from_arg(cls, arg, "aqe")
        if not (isinstance(p.qe_times, int) and p.qe_times >= 1 and isinstance(p.qe_k, int) and p.qe_k >= 1):
            raise MetricError(f"aqe: qe_times and qe_k must be positive integers, got {p}")
        return p

    def conventions(self) -> dict[str, Any]:
        return {
            "method": "average query expansion (fast-reid)",
            "qe_times": self.qe_times,
            "qe_k": self.qe_k,
            "alpha": float(self.alpha),
            "pooled": "query + gallery",
        }


def average_query_expansion(
    q: torch.Tensor,
    g: torch.Tensor,
    *,
    qe_times: int = 1,
    qe_k: int = 5,
    alpha: float = 3.0,
    chunk_size: int = 1024,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Expanded (query, gallery) features; memory O(chunk x (Q+G))."""
    import torch
    import torch.nn.functional as F

    from harness.metrics.topk import smallest_k_stable

    feats = torch.cat([q, g])
    n = feats.shape[0]
    k = min(qe_k, n)
    for _ in range(qe_times):
        norm = F.normalize(feats, dim=1)
        new = torch.empty_like(feats)
        for r0 in range(0, n, chunk_size):
            sims = torch.mm(norm[r0 : r0 + chunk_size], norm.t())
            idx = smallest_k_stable(-sims, k)
            w = sims.gather(1, idx).pow(alpha)
            new[r0 : r0 + chunk_size] = (feats[idx] * w[..., None]).mean(1)
        feats = new
    return feats[: len(q)], feats[len(q) :]


def aqe_dense(
    q: np.ndarray, g: np.ndarray, *, qe_times: int = 1, qe_k: int = 5, alpha: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Plain NumPy reference of :func:`average_query_expansion` (full similarity matrix)."""
    feats = np.concatenate([q, g])
    for _ in range(qe_times):
        norm = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
        sims = norm @ norm.T
        out = np.empty_like(feats)
        for i in range(len(feats)):
            top = np.argsort(-sims[i], kind="stable")[:qe_k]
            out[i] = np.mean(feats[top] * np.power(sims[i, top], alpha)[:, None], axis=0)
        feats = out
    return feats[: len(q)], feats[len(q) :]
