"""The result of one retrieval evaluation and the record of the conventions it followed.

Metric values are fractions in [0, 1]; reports scale them to percentages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TIE_POLICY = "gallery-index"
TIE_POLICY_TEXT = "equal distances rank the lower gallery index first (a stable ascending sort)"

JUNK_RULES = ("same-camera", "none")
AP_KINDS = ("step", "trapezoid")
DENOMINATORS = ("valid", "all")
PROTOCOLS = ("market1501", "cuhk03-sgs")


@dataclass(frozen=True, eq=False)
class RetrievalResult:
    """CMC / mAP / mINP of one query-gallery evaluation.

    ``cmc[k-1]`` is the fraction of counted queries whose first true match is within rank ``k``
    (``len(cmc) == max_rank`` always; ranks past the gallery size repeat the last value).
    ``query_ap`` / ``query_inp`` hold per-query values (NaN for a skipped query).
    ``conventions`` is a JSON-serialisable record of every rule used to compute the numbers.
    """

    cmc: np.ndarray
    mAP: float
    mINP: float
    n_query: int
    n_valid_query: int
    conventions: dict[str, Any]
    query_ap: np.ndarray | None = field(default=None, repr=False)
    query_inp: np.ndarray | None = field(default=None, repr=False)

    def rank(self, k: int) -> float:
        """CMC at rank ``k`` (1-based)."""
        if not 1 <= k <= len(self.cmc):
            raise ValueError(f"rank {k} is outside 1..max_rank={len(self.cmc)}")
        return float(self.cmc[k - 1])

    def to_dict(self) -> dict[str, Any]:
        """Metrics as plain Python values: the registry's headline metrics of an image query
        (``R1``, ``R5``, ``R10`` within max_rank, ``mAP``, ``mINP``), the ``cmc`` list and the query
        counts."""
        from harness.metrics.registry import compute_metrics

        out: dict[str, Any] = dict(compute_metrics({"primary": self}, "image"))
        out["cmc"] = [float(x) for x in self.cmc]
        out["n_query"] = int(self.n_query)
        out["n_valid_query"] = int(self.n_valid_query)
        return out

    def to_json(self) -> str:
        """``to_dict()`` plus ``conventions``, as a JSON string."""
        return json.dumps({"metrics": self.to_dict(), "conventions": self.conventions}, sort_keys=True)

    def __repr__(self) -> str:
        r1 = self.cmc[0] if len(self.cmc) else float("nan")
        return (
            f"RetrievalResult(R1={r1:.4f}, mAP={self.mAP:.4f}, mINP={self.mINP:.4f}, "
            f"n_valid_query={self.n_valid_query}/{self.n_query})"
        )


def make_conventions(
    *,
    junk: str,
    distance: str,
    normalize: bool | None,
    ap: str,
    max_rank: int,
    chunk_size: int | None,
    denominator: str,
    protocol: str,
    implementation: str,
    rerank: dict[str, Any] | None = None,
    aqe: dict[str, Any] | None = None,
    sgs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The conventions record stored in every :class:`RetrievalResult`."""
    conv: dict[str, Any] = {
        "protocol": protocol,
        "junk": junk,
        "junk_rule": (
            "gallery items with the query's pid and the query's camera are removed from its ranking"
            if junk == "same-camera"
            else "nothing is removed; every gallery item with the query's pid is a positive"
        ),
        "invalid_query": (
            "queries with no positive left are skipped (not in any denominator)"
            if denominator == "valid"
            else "queries with no positive left count as 0 in every denominator"
        ),
        "denominator": denominator,
        "distance": distance,
        "normalize": normalize,
        "tie_policy": TIE_POLICY,
        "tie_policy_text": TIE_POLICY_TEXT,
        "ap": ap,
        "cmc_beyond_max_rank": "a counted query whose first hit lies beyond max_rank is a miss",
        "minp": "positives / 1-based position of the last positive in the filtered ranking (fast-reid)",
        "max_rank": int(max_rank),
        "chunk_size": None if chunk_size is None else int(chunk_size),
        "implementation": implementation,
        "rerank": rerank,
        "aqe": aqe,
        "sgs": sgs,
    }
    json.dumps(conv)  # fail here, not in a report writer, if something is not serialisable
    return conv
