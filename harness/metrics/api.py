"""Public entry points: evaluate a precomputed distance matrix, or stream distances from features."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import MetricError
from harness.metrics.inputs import (
    Labels,
    check_distmat,
    check_labels,
    check_options,
    feature_matrix,
    to_numpy,
)
from harness.metrics.result import PROTOCOLS, RetrievalResult, make_conventions
from harness.metrics.summary import summarize

if TYPE_CHECKING:
    import torch

IMPLEMENTATIONS = ("fast", "reference")


def _resolve_device(device: Any) -> str:
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def _check_common(protocol: str, implementation: str, sgs_repeats: int) -> None:
    if protocol not in PROTOCOLS:
        raise MetricError(f"protocol: expected one of {list(PROTOCOLS)}, got {protocol!r}")
    if implementation not in IMPLEMENTATIONS:
        raise MetricError(f"implementation: expected one of {list(IMPLEMENTATIONS)}, got {implementation!r}")
    if protocol == "cuhk03-sgs" and (not isinstance(sgs_repeats, int) or sgs_repeats < 1):
        raise MetricError(f"sgs_repeats: expected a positive integer, got {sgs_repeats!r}")


def _evaluate_blocks(
    blocks: Iterator[tuple[int, Any]],
    labels: Labels,
    *,
    n_query: int,
    junk: str,
    ap: str,
    max_rank: int,
    denominator: str,
    protocol: str,
    sgs_repeats: int,
    seed: int,
    implementation: str,
    device: str,
    conventions: dict[str, Any],
    topk: int | None = None,
) -> RetrievalResult:
    """Run the chosen implementation over (row0, distance block) pairs and summarise."""
    from harness.metrics.cuhk03 import SingleGalleryShot
    from harness.metrics.outcomes import TopK, topk_reference

    ranked = None if topk is None else TopK(labels, topk, junk)

    sgs = None
    cmc_sum = None
    if protocol == "cuhk03-sgs":
        sgs = SingleGalleryShot(labels, junk=junk, max_rank=max_rank, repeats=sgs_repeats, seed=seed)
        cmc_sum = np.zeros(max_rank, dtype=np.int64)
    if implementation == "reference":
        from harness.metrics.reference import evaluate_reference, sgs_reference

        parts = [(r0, np.array(to_numpy(b, "distmat"), copy=True)) for r0, b in blocks]
        full = np.concatenate([b for _, b in parts], axis=0)
        per_query = evaluate_reference(full, labels, junk=junk, ap=ap)
        if ranked is not None:
            ranked.out[:] = topk_reference(full, labels, topk, junk)
        if sgs is not None:
            rows = sgs_reference(full, labels, junk=junk, max_rank=max_rank, repeats=sgs_repeats, seed=seed)
            cmc_sum = rows[per_query["valid"]].sum(0) / sgs_repeats
    else:
        from harness.metrics.fast import FastEvaluator

        ev = FastEvaluator(labels, junk=junk, ap=ap, device=device)
        for r0, block in blocks:
            ev.process(block, r0)
            if ranked is not None:
                ranked.process(block, r0)
            if sgs is not None:
                rows = sgs.rows(block.cpu().numpy(), r0)
                cmc_sum += rows.sum(0)
        per_query = ev.results()
        if cmc_sum is not None:
            cmc_sum = cmc_sum / sgs_repeats
    return summarize(
        per_query,
        labels,
        junk=junk,
        max_rank=max_rank,
        denominator=denominator,
        conventions=conventions,
        cmc_sum=cmc_sum,
        topk=None if ranked is None else ranked.out,
    )


def evaluate_distances(
    distmat: Any,
    q_pids: Any,
    g_pids: Any,
    q_camids: Any = None,
    g_camids: Any = None,
    *,
    max_rank: int = 50,
    junk: str = "same-camera",
    ap: str = "step",
    denominator: str = "valid",
    protocol: str = "market1501",
    sgs_repeats: int = 10,
    seed: int = 0,
    chunk_size: int | None = None,
    device: str = "cpu",
    implementation: str = "fast",
    distance: str = "precomputed",
    normalize: bool | None = None,
    rerank: Any = None,
    distmat_qq: Any = None,
    distmat_gg: Any = None,
    topk: int | None = None,
) -> RetrievalResult:
    """CMC / mAP / mINP of a query x gallery distance matrix (numpy or torch; smaller is closer).

    Market-1501 conventions by default (torchreid / fast-reid / CLIP-ReID): junk = same pid and same
    camera; queries with no positive left are skipped; step AP over the whole filtered ranking;
    mINP as in fast-reid; ties rank the lower gallery index first. ``distance``/``normalize`` only
    label how the matrix was made in ``conventions``. ``rerank`` (True or a dict of k1/k2/lambda)
    applies dense k-reciprocal re-ranking, which needs ``distmat_qq`` and ``distmat_gg``.
    ``topk=K`` also returns each query's first K junk-filtered gallery indices
    (``result.query_topk``, see :mod:`harness.metrics.outcomes`).
    """
    distmat = check_distmat(distmat)
    check_options(max_rank=max_rank, ap=ap, denominator=denominator)
    _check_common(protocol, implementation, sgs_repeats)
    n_q, n_g = (int(s) for s in distmat.shape)
    labels = check_labels(n_q, n_g, q_pids, g_pids, q_camids, g_camids, junk)
    device = _resolve_device(device)
    rerank_conv = None
    if rerank:
        from harness.metrics.rerank import RerankParams, rerank_dense

        params = RerankParams.from_arg(rerank)
        if distmat_qq is None or distmat_gg is None:
            raise MetricError("rerank: re-ranking a distance matrix needs distmat_qq and distmat_gg")
        distmat = rerank_dense(
            to_numpy(distmat, "distmat"),
            to_numpy(distmat_qq, "distmat_qq"),
            to_numpy(distmat_gg, "distmat_gg"),
            k1=params.k1,
            k2=params.k2,
            lambda_value=params.lambda_value,
        )
        rerank_conv = params.conventions("dense")
    if chunk_size is None:
        from harness.metrics.fast import default_chunk_size

        chunk_size = default_chunk_size(n_g, n_q)
    if chunk_size < 1:
        raise MetricError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    conv = make_conventions(
        junk=junk,
        distance=distance,
        normalize=normalize,
        ap=ap,
        max_rank=max_rank,
        chunk_size=chunk_size,
        denominator=denominator,
        protocol=protocol,
        implementation=implementation,
        rerank=rerank_conv,
        sgs={"repeats": sgs_repeats, "seed": seed} if protocol == "cuhk03-sgs" else None,
    )

    def blocks() -> Iterator[tuple[int, Any]]:
        if implementation == "reference":
            arr = to_numpy(distmat, "distmat")
            if np.isnan(arr).any():
                raise MetricError("distmat: contains NaN values")
            yield 0, arr
            return
        from harness.metrics.distance import as_tensor

        for r0 in range(0, n_q, chunk_size):
            yield r0, as_tensor(distmat[r0 : r0 + chunk_size], device, "distmat")

    return _evaluate_blocks(
        blocks(),
        labels,
        n_query=n_q,
        junk=junk,
        ap=ap,
        max_rank=max_rank,
        denominator=denominator,
        protocol=protocol,
        sgs_repeats=sgs_repeats,
        seed=seed,
        implementation=implementation,
        device=device,
        conventions=conv,
        topk=topk,
    )


def evaluate_features(
    q_feats: Any,
    g_feats: Any,
    q_pids: Any,
    g_pids: Any,
    q_camids: Any = None,
    g_camids: Any = None,
    *,
    distance: str = "cosine",
    normalize: bool = True,
    max_rank: int = 50,
    junk: str = "same-camera",
    ap: str = "step",
    denominator: str = "valid",
    protocol: str = "market1501",
    sgs_repeats: int = 10,
    seed: int = 0,
    chunk_size: int | None = None,
    device: str = "cpu",
    implementation: str = "fast",
    aqe: Any = None,
    rerank: Any = None,
    topk: int | None = None,
) -> RetrievalResult:
    """CMC / mAP / mINP from query and gallery features, streaming distances in blocks of
    ``chunk_size`` query rows, so the full query x gallery matrix is never held.

    ``distance``: ``cosine`` (default; features L2-normalised), ``euclidean`` or ``sqeuclidean``
    (L2-normalised first when ``normalize=True``, the default). ``aqe`` (True or a dict of
    qe_times/qe_k/alpha) applies fast-reid's average query expansion first; ``rerank`` (True or a
    dict of k1/k2/lambda_value) applies memory-bounded k-reciprocal re-ranking on squared euclidean
    distances of the (normalised) features. Other conventions (and ``topk``) as in
    :func:`evaluate_distances`.
    """
    from harness.metrics.distance import FeatureDistance, as_tensor, check_distance

    q_feats = feature_matrix(q_feats, "q_feats")
    g_feats = feature_matrix(g_feats, "g_feats")
    check_options(max_rank=max_rank, ap=ap, denominator=denominator)
    _check_common(protocol, implementation, sgs_repeats)
    eff_norm = check_distance(distance, normalize)
    device = _resolve_device(device)
    q = as_tensor(q_feats, device, "q_feats")
    g = as_tensor(g_feats, device, "g_feats")
    n_q, n_g = q.shape[0], g.shape[0]
    labels = check_labels(n_q, n_g, q_pids, g_pids, q_camids, g_camids, junk)
    if chunk_size is None:
        from harness.metrics.fast import default_chunk_size

        chunk_size = default_chunk_size(n_g, n_q)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise MetricError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    aqe_conv = rerank_conv = None
    if aqe:
        from harness.metrics.aqe import AQEParams, average_query_expansion

        aq = AQEParams.from_arg(aqe)
        q, g = average_query_expansion(
            q, g, qe_times=aq.qe_times, qe_k=aq.qe_k, alpha=aq.alpha, chunk_size=chunk_size
        )
        aqe_conv = aq.conventions()
    reranker = None
    if rerank:
        from harness.metrics.rerank import KReciprocalReranker, RerankParams

        params = RerankParams.from_arg(rerank)
        reranker = KReciprocalReranker.from_features(q, g, params, normalize=eff_norm, chunk_size=chunk_size)
        rerank_conv = params.conventions("sparse", normalize=eff_norm)
    conv = make_conventions(
        junk=junk,
        distance=distance if reranker is None else f"k-reciprocal({distance} features)",
        normalize=eff_norm,
        ap=ap,
        max_rank=max_rank,
        chunk_size=chunk_size,
        denominator=denominator,
        protocol=protocol,
        implementation=implementation,
        rerank=rerank_conv,
        aqe=aqe_conv,
        sgs={"repeats": sgs_repeats, "seed": seed} if protocol == "cuhk03-sgs" else None,
    )

    def blocks() -> Iterator[tuple[int, torch.Tensor]]:
        import torch

        if reranker is not None:
            yield from reranker.iter_rows(chunk_size)
            return
        fd = FeatureDistance(g, distance, normalize)
        qp = fd.prepare_queries(q)
        buf = torch.empty(min(chunk_size, n_q), n_g, dtype=g.dtype, device=g.device)
        for r0 in range(0, n_q, chunk_size):
            qb = qp[r0 : r0 + chunk_size]
            yield r0, fd.ranking_block(qb, out=buf[: len(qb)])  # cosine: by -s

    return _evaluate_blocks(
        blocks(),
        labels,
        n_query=n_q,
        junk=junk,
        ap=ap,
        max_rank=max_rank,
        denominator=denominator,
        protocol=protocol,
        sgs_repeats=sgs_repeats,
        seed=seed,
        implementation=implementation,
        device=device,
        conventions=conv,
        topk=topk,
    )
