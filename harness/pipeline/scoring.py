"""The scoring seam of the leg pipeline: encoded query and gallery sides -> one :class:`TrialScore`.

:func:`score` is the one place a trial is scored, for every kind of leg. It takes

* ``query`` and ``gallery``: :class:`Side` objects, the encoded features (rows in the eval set's
  order, undecodable items already left out) with the ids that decide a match (``pids``; ``camids``
  for the camera junk rule, None for captions) and ``names`` (image paths, or ``path (caption j)``)
  naming each row;
* ``evaluation``: the leg's :class:`harness.protocols.EvaluationSpec` (distance, normalisation, junk
  rule, max rank, denominator, re-ranking);

and returns a :class:`TrialScore`: headline ``metrics`` (fractions), the ``cmc`` curve, query counts,
the ``conventions`` used and the full :class:`harness.metrics.RetrievalResult` of every direction
(``results``), which holds per-query arrays (``query_ap``, ``query_inp``).

Extension points (keep them here, so image and text legs get them at once): further evaluation
settings (re-ranking / query-expansion parameters, a method's own distance convention) enter through
``evaluation`` and :func:`_evaluate`; per-query outcomes and bootstrap inputs are read from
``TrialScore.results`` (and the sides' ``names``) by the record phase.

The two scorers are the strategies a query source picks: :class:`ImageScorer` (image -> image, the
camera rule and re-ranking as the protocol says) and :class:`TextScorer` (caption -> image under
IRRA's conventions, optionally image -> caption as ``i2t_*`` metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ProtocolError

if TYPE_CHECKING:
    from harness.metrics import RetrievalResult
    from harness.protocols import EvaluationSpec


@dataclass(frozen=True)
class Side:
    """One side of a trial: features ``[N, D]`` and the ids that decide a match, row by row."""

    features: np.ndarray
    pids: np.ndarray
    camids: np.ndarray | None = None
    """Camera ids (0-based) for the camera junk rule; None when the side has no camera (captions)."""
    names: Sequence[str] = ()
    """What each row is (an image path, or ``<image path> (caption j)``)."""


@dataclass
class TrialScore:
    """The scores of one trial (one query/gallery pair, or one masking of the captions)."""

    metrics: dict[str, float]
    """The metric registry's headline metrics of the leg's kind (record units: fractions):
    ``R1``/``R5``/``R10`` (within max_rank), ``mAP``, ``mINP``, plus the reverse direction's
    (``i2t_R1``, ...) when it was scored."""
    cmc: np.ndarray
    """The forward direction's CMC (``len == max_rank``)."""
    n_query: int
    n_valid_query: int
    conventions: dict[str, Any]
    results: dict[str, RetrievalResult] = field(default_factory=dict)
    """Every direction's full result (``forward``, and ``reverse`` when asked), per-query arrays included."""


def score(
    query: Side, gallery: Side, evaluation: EvaluationSpec, *, kind: str = "image", reverse: bool = False
) -> TrialScore:
    """Score ``query`` against ``gallery`` under ``evaluation`` (see the module docstring).

    ``kind``: the leg's kind (``image``, ``text``), which picks the registry's metrics;
    ``reverse``: also score the gallery as queries against ``query`` (image-to-text for a caption
    leg), whose metrics are the registry's ``i2t`` direction.
    """
    from harness.metrics.registry import compute_metrics

    forward = _evaluate(query, gallery, evaluation)
    results = {"forward": forward}
    if reverse:
        results["reverse"] = _evaluate(gallery, query, evaluation)
    metrics = compute_metrics({"primary": forward, "i2t": results.get("reverse")}, kind)
    return TrialScore(
        metrics=metrics,
        cmc=np.asarray(forward.cmc, dtype=np.float64),
        n_query=int(forward.n_query),
        n_valid_query=int(forward.n_valid_query),
        conventions=dict(forward.conventions),
        results=results,
    )


def _evaluate(query: Side, gallery: Side, evaluation: EvaluationSpec) -> RetrievalResult:
    from harness.metrics import evaluate_features

    cameras = query.camids is not None and gallery.camids is not None
    return evaluate_features(
        query.features,
        gallery.features,
        query.pids,
        gallery.pids,
        query.camids if cameras else None,
        gallery.camids if cameras else None,
        distance=evaluation.distance,
        normalize=evaluation.normalize,
        max_rank=evaluation.max_rank,
        junk=evaluation.junk,
        rerank=evaluation.rerank,
        denominator=evaluation.denominator,
    )


class ImageScorer:
    """Image queries against an image gallery: every evaluation setting as the protocol gives it."""

    def check(self, evaluation: EvaluationSpec) -> None:
        """Image legs accept every valid evaluation block."""

    def __call__(self, query: Side, gallery: Side, evaluation: EvaluationSpec) -> TrialScore:
        return score(query, gallery, evaluation)


@dataclass(frozen=True)
class TextScorer:
    """Caption queries against an image gallery (IRRA): no camera rule, no re-ranking; ``i2t``
    adds image-to-caption retrieval as ``i2t_*`` metrics."""

    i2t: bool = False

    def check(self, evaluation: EvaluationSpec) -> None:
        """Refuse settings that are undefined for text-to-image retrieval (one clear error)."""
        if evaluation.rerank:
            raise ProtocolError("re-ranking is not defined for text-to-image retrieval; set rerank: false")
        if evaluation.junk != "none":
            raise ProtocolError(
                "text-to-image legs need evaluation.junk: none (captions have no camera), "
                f"got {evaluation.junk!r}"
            )

    def __call__(self, query: Side, gallery: Side, evaluation: EvaluationSpec) -> TrialScore:
        self.check(evaluation)
        return score(query, gallery, evaluation, kind="text", reverse=self.i2t)
