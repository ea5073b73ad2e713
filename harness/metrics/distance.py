"""Query x gallery distances from features (torch, any device), computed one block of rows at a time.

Conventions (smaller is closer):

* ``cosine``: ``1 - <a/|a|, b/|b|>``; features are always L2-normalised.
* ``euclidean``: ``sqrt(max(|a|^2 + |b|^2 - 2<a, b>, 0))``.
* ``sqeuclidean``: ``|a|^2 + |b|^2 - 2<a, b>`` (not clamped, as in torchreid).

With ``normalize=True`` the euclidean variants are computed on L2-normalised features, and then all
three rank identically (``sq = 2 - 2 cos``, ``euclidean = sqrt(sq)``). Without normalisation
``euclidean`` and ``sqeuclidean`` rank identically with each other but not with ``cosine``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import MetricError

if TYPE_CHECKING:
    import torch

DISTANCES = ("cosine", "euclidean", "sqeuclidean")


def check_distance(distance: str, normalize: bool) -> bool:
    """Validate ``distance``; return the effective normalisation (always True for cosine)."""
    if distance not in DISTANCES:
        raise MetricError(f"distance: expected one of {list(DISTANCES)}, got {distance!r}")
    return True if distance == "cosine" else bool(normalize)


def as_tensor(x: Any, device: torch.device | str, name: str) -> torch.Tensor:
    """Features or distances as a floating tensor on ``device`` (float16/bfloat16 upcast to float32)."""
    import torch

    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(np.asarray(x)))
    if not t.is_floating_point():
        t = t.to(torch.float64 if t.element_size() >= 8 else torch.float32)
    elif t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    t = t.to(device)
    if bool(torch.isnan(t).any()):
        raise MetricError(f"{name}: contains NaN values")
    return t


class FeatureDistance:
    """Distances from a fixed gallery to blocks of query features."""

    def __init__(self, g_feats: torch.Tensor, distance: str, normalize: bool) -> None:
        import torch.nn.functional as F

        self.distance = distance
        self.normalize = check_distance(distance, normalize)
        self.g = F.normalize(g_feats, dim=1) if self.normalize else g_feats
        self.g_t = self.g.t()
        self.g_sq = None if distance == "cosine" else (self.g * self.g).sum(1)

    def prepare_queries(self, q_feats: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        if q_feats.dtype != self.g.dtype:
            raise MetricError(
                f"q_feats/g_feats: dtypes differ ({q_feats.dtype} vs {self.g.dtype}); pass one dtype"
            )
        if q_feats.shape[1] != self.g.shape[1]:
            raise MetricError(
                f"q_feats/g_feats: feature sizes differ ({q_feats.shape[1]} vs {self.g.shape[1]})"
            )
        return F.normalize(q_feats, dim=1) if self.normalize else q_feats

    def block(self, q: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Distances (len(q) x G) of already prepared query rows ``q``."""
        import torch

        d = torch.mm(q, self.g_t, out=out) if out is not None else torch.mm(q, self.g_t)
        if self.distance == "cosine":
            return torch.sub(torch.ones((), dtype=d.dtype, device=d.device), d, out=d)  # 1 - s, one pass
        q_sq = (q * q).sum(1, keepdim=True)
        d.mul_(-2.0).add_(q_sq).add_(self.g_sq)
        if self.distance == "euclidean":
            d.clamp_(min=0).sqrt_()
        return d


def pairwise_distances(
    q_feats: Any,
    g_feats: Any,
    *,
    distance: str = "cosine",
    normalize: bool = True,
    chunk_size: int = 1024,
    device: str = "cpu",
) -> np.ndarray:
    """The full query x gallery distance matrix as NumPy (for small inputs and re-ranking references)."""
    q = as_tensor(q_feats, device, "q_feats")
    g = as_tensor(g_feats, device, "g_feats")
    fd = FeatureDistance(g, distance, normalize)
    qp = fd.prepare_queries(q)
    blocks = [fd.block(qp[s : s + chunk_size]).cpu().numpy() for s in range(0, len(qp), chunk_size)]
    return np.concatenate(blocks, axis=0)
