"""Text-to-image retrieval (captions as queries, images as gallery), IRRA's convention.

No camera filtering (``junk='none'``) and every query with at least one gallery image of its identity
counts. IRRA crashes on a caption whose identity has no image; here such a caption is skipped and
counted in ``n_query - n_valid_query`` (pass ``denominator='all'`` to count it as 0 instead).
IRRA ranks by cosine similarity; so does ``distance='cosine'`` here: the ranking key is ``-s`` (an
exact negation), not ``1 - s``, which in float32 would merge similarities one ulp apart into ties.
Exactly duplicated gallery images tie in every block shape, so the tie rule (lower gallery index
first) does not depend on ``chunk_size`` (:mod:`harness.metrics.distance`). IRRA reports R1, R5,
R10, mAP and mINP with ``max_rank=10``.
"""

from __future__ import annotations

from typing import Any

from harness.metrics.api import evaluate_features
from harness.metrics.result import RetrievalResult


def evaluate_text_to_image(
    text_feats: Any,
    image_feats: Any,
    text_pids: Any,
    image_pids: Any,
    *,
    distance: str = "cosine",
    max_rank: int = 10,
    **kwargs: Any,
) -> RetrievalResult:
    """CMC / mAP / mINP of caption queries against an image gallery (no cameras, ``junk='none'``)."""
    return evaluate_features(
        text_feats,
        image_feats,
        text_pids,
        image_pids,
        None,
        None,
        distance=distance,
        max_rank=max_rank,
        junk="none",
        **kwargs,
    )
