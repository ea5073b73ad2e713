"""Query x gallery distances from features (torch, any device), computed one block of rows at a time.

Conventions (smaller is closer):

* ``cosine``: ``1 - <a/|a|, b/|b|>``; features are always L2-normalised.
* ``euclidean``: ``sqrt(max(|a|^2 + |b|^2 - 2<a, b>, 0))``.
* ``sqeuclidean``: ``|a|^2 + |b|^2 - 2<a, b>`` (not clamped, as in torchreid).

With ``normalize=True`` the euclidean variants are computed on L2-normalised features, and then all
three rank identically (``sq = 2 - 2 cos``, ``euclidean = sqrt(sq)``). Without normalisation
``euclidean`` and ``sqeuclidean`` rank identically with each other but not with ``cosine``.

Ranking (:meth:`FeatureDistance.ranking_block`, what the evaluators sort): cosine ranks by the
similarity itself (key ``-s``, an exact negation) as IRRA does, never by ``1 - s``, which in float32
merges similarities one ulp apart into ties. Exactly duplicated gallery features get bit-identical
keys in every query row, whatever the block (``chunk_size``) shape: the distance is computed once per
distinct gallery row and copied to its duplicates (:func:`distinct_rows`), so the tie rule (lower
gallery index first) decides between them independently of how the matrix product was blocked.
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


HASH_COLUMNS = 64
"""The leading columns whose bits screen gallery rows for duplicates (equal rows always agree)."""


def distinct_rows(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(distinct rows, index of each original row among them)``, or ``(g, None)`` when no two rows
    are equal. Screening is exact and cheap: an integer hash of the bits of ``HASH_COLUMNS`` columns
    (equal rows hash equally); only rows sharing a hash are compared in full, and only if some rows
    are equal does ``torch.unique(dim=0)`` run over the gallery."""
    import torch

    n, dim = g.shape
    if n < 2 or g.dtype not in (torch.float32, torch.float64):
        return g, None
    width = min(dim, HASH_COLUMNS)
    bits = g[:, :width].contiguous().view(torch.int32 if g.dtype == torch.float32 else torch.int64).long()
    weights = torch.randint(1, 2**61, (width,), generator=torch.Generator().manual_seed(0))
    hashes = (bits * weights.to(g.device)).sum(1)  # int64 arithmetic wraps: exact and order-free
    _, inverse, counts = torch.unique(hashes, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1
    if not bool(shared.any()):
        return g, None
    candidates = g[shared]
    if len(torch.unique(candidates, dim=0)) == len(candidates):
        return g, None
    distinct, inverse = torch.unique(g, dim=0, return_inverse=True)
    return distinct, inverse


class FeatureDistance:
    """Distances from a fixed gallery to blocks of query features."""

    def __init__(self, g_feats: torch.Tensor, distance: str, normalize: bool) -> None:
        import torch.nn.functional as F

        self.distance = distance
        self.normalize = check_distance(distance, normalize)
        g = F.normalize(g_feats, dim=1) if self.normalize else g_feats
        self.n_gallery = g.shape[0]
        self.g, self.expand = distinct_rows(g)  # duplicates share one column (see the module doc)
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

    def _scores(self, q: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
        """``-s`` (cosine) or the distance, for every distinct gallery row, expanded to all G."""
        import torch

        direct = self.expand is None and out is not None
        d = torch.mm(q, self.g_t, out=out) if direct else torch.mm(q, self.g_t)
        if self.distance == "cosine":
            d.neg_()
        else:
            q_sq = (q * q).sum(1, keepdim=True)
            d.mul_(-2.0).add_(q_sq).add_(self.g_sq)
            if self.distance == "euclidean":
                d.clamp_(min=0).sqrt_()
        if self.expand is not None:
            return torch.index_select(d, 1, self.expand, out=out) if out is not None else d[:, self.expand]
        return d

    def ranking_block(self, q: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Ranking keys (len(q) x G; smaller ranks first) of prepared query rows: the distance, or
        ``-s`` for cosine (ranking by similarity, as IRRA does)."""
        return self._scores(q, out)

    def block(self, q: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Distances (len(q) x G) of already prepared query rows ``q`` (cosine: ``1 - s``)."""
        d = self._scores(q, out)
        return d.add_(1.0) if self.distance == "cosine" else d


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
