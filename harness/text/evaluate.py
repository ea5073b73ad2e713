"""Text-to-image evaluation as IRRA does it (``anosorae/IRRA:utils/metrics.py``), on ``harness.metrics``.

* Queries: every caption of every image in the query split, in manifest order, each with its
  image's pid (an image with two captions gives two queries).
* Gallery: the images of the gallery split (the same test split for every IRRA benchmark).
* A gallery image is a positive of a caption when its pid equals the caption's pid; nothing is junk
  and there is no camera rule (``junk='none'``).
* Features are L2-normalised and compared by cosine similarity; R1/R5/R10, mAP (step AP over the
  whole ranking) and mINP. With ``denominator='all'`` (IRRA) every query counts in every mean.
* Image-to-text (optional) transposes the roles: images query the captions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.errors import ProtocolError

if TYPE_CHECKING:
    from harness.data.manifest import Manifest
    from harness.methods.adapter import MethodAdapter
    from harness.metrics import RetrievalResult
    from harness.protocols import EvaluationSpec

MULTI_CAPTION_RULE = (
    "each caption is one query; the gallery is the split's images; a gallery image is a positive "
    "when its pid equals the caption's pid (IRRA)"
)


@dataclass(frozen=True)
class CaptionQueries:
    """The caption queries of a manifest: texts, their pids and the index of their image."""

    captions: list[str]
    pids: np.ndarray
    image_index: np.ndarray


def caption_queries(manifest: Manifest) -> CaptionQueries:
    """One query per caption, in manifest order then caption order."""
    captions: list[str] = []
    pids: list[int] = []
    index: list[int] = []
    for i, item in enumerate(manifest):
        for caption in item.captions:
            captions.append(caption)
            pids.append(item.pid)
            index.append(i)
    return CaptionQueries(captions, np.asarray(pids, dtype=np.int64), np.asarray(index, dtype=np.int64))


def encode_captions(
    method: MethodAdapter,
    captions: Sequence[str],
    *,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Text embeddings ``[len(captions), D]`` (float32) from the method's text encoder, in batches."""
    chunks: list[np.ndarray] = []
    for start in range(0, len(captions), batch_size):
        batch = list(captions[start : start + batch_size])
        chunks.append(method.encode_text(batch).cpu().numpy().astype(np.float32, copy=False))
        if progress is not None:
            progress(len(batch))
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(chunks, axis=0)


def evaluate_t2i(
    text_features: np.ndarray,
    image_features: np.ndarray,
    caption_pids: np.ndarray,
    image_pids: np.ndarray,
    evaluation: EvaluationSpec,
    *,
    i2t: bool = False,
) -> dict[str, RetrievalResult]:
    """``{"t2i": result}`` (plus ``"i2t"`` when asked) under the module's conventions."""
    from harness.metrics import evaluate_features

    if evaluation.rerank:
        raise ProtocolError("re-ranking is not defined for text-to-image retrieval; set rerank: false")
    if evaluation.junk != "none":
        raise ProtocolError(
            "text-to-image legs need evaluation.junk: none (captions have no camera), "
            f"got {evaluation.junk!r}"
        )
    options = {
        "distance": evaluation.distance,
        "normalize": evaluation.normalize,
        "max_rank": evaluation.max_rank,
        "junk": "none",
        "denominator": evaluation.denominator,
        "topk": evaluation.max_rank,
    }
    results = {"t2i": evaluate_features(text_features, image_features, caption_pids, image_pids, **options)}
    if i2t:
        results["i2t"] = evaluate_features(image_features, text_features, image_pids, caption_pids, **options)
    return results


def headline(result: RetrievalResult, prefix: str = "") -> dict[str, float]:
    """R1/R5/R10 (those within max_rank), mAP and mINP as fractions, keys prefixed by ``prefix``."""
    cmc = list(result.cmc)
    metrics = {f"{prefix}R{k}": float(cmc[k - 1]) for k in (1, 5, 10) if k <= len(cmc)}
    metrics[f"{prefix}mAP"] = float(result.mAP)
    metrics[f"{prefix}mINP"] = float(result.mINP)
    return metrics
