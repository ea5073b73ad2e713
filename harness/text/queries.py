"""Caption queries of a text leg (IRRA, ``anosorae/IRRA:utils/metrics.py``) and their mask variants.

* Queries: every caption of every image in the query split, in manifest order, each with its
  image's pid (an image with two captions gives two queries).
* Gallery: the images of the gallery split (the same test split for every IRRA benchmark).
* A gallery image is a positive of a caption when its pid equals the caption's pid; nothing is junk
  and there is no camera rule (``junk='none'``; scored by :class:`harness.pipeline.scoring.TextScorer`).
* Mask variants: when a protocol sweeps ``text.mask_ratios``, each ratio is one variant with its own
  record, whose ``settings.text_mask`` (part of its identity: ``<leg>+mask<ratio>.json``) holds the
  masking; the masked captions' cache key adds :func:`mask_key_fields`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from harness.data.manifest import Manifest

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


def mask_key_fields(ratio: float, strategy: str, token: str | None, seed: int, repeat: int) -> dict | None:
    """The ``extra`` cache-key fields of one masking of the query captions (None at ratio 0, whose
    captions are the unmasked ones and share the unmasked entry)."""
    if ratio == 0:
        return None
    return {
        "text_mask": {
            "ratio": float(ratio),
            "strategy": strategy,
            "token": token,
            "seed": seed,
            "repeat": repeat,
        }
    }


def query_summary(encodings: list[Any]) -> dict[str, Any]:
    """The record's ``engine.encode.query`` block for the caption encodings of one variant (one
    :class:`harness.engine.encoder.Encoded` per repeat)."""
    statuses = {e.status for e in encodings}
    status = statuses.pop() if len(statuses) == 1 else "partial"
    summary: dict[str, Any] = {
        "cache": status,
        "keys": [e.key for e in encodings],
        "repeats": len(encodings),
        "n_items": len(encodings[0].valid),
        "chunks_total": sum(e.chunks_total for e in encodings),
        "chunks_computed": sum(e.chunks_computed for e in encodings),
    }
    computed = [e.stats for e in encodings if e.stats.images]
    if computed:
        texts = sum(s.images for s in computed)
        seconds = sum(s.compute_s for s in computed)
        summary["computed"] = {
            "texts": texts,
            "compute_s": seconds,
            "texts_per_s": texts / seconds if seconds else None,
        }
    return summary
