"""The scoring seam: hand-computed text-to-image cases, IRRA's denominators, the image scorer's
camera rule, and the settings a text leg refuses."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import ProtocolError
from harness.metrics import evaluate_features
from harness.pipeline.scoring import ImageScorer, Side, TextScorer
from harness.protocols import EvaluationSpec

T2I = EvaluationSpec(junk="none", distance="cosine", normalize=True, max_rank=10, denominator="all")


def _captions(features, pids) -> Side:
    return Side(np.asarray(features, dtype=np.float64), np.asarray(pids))


def test_hand_computed_ranking_both_directions() -> None:
    # gallery: 3 images, pids [1, 1, 2], on the unit circle at 0, 90 and 45 degrees
    points = np.array([[1.0, 0.0], [0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]])
    gallery = Side(points, np.array([1, 1, 2]), np.zeros(3, int))
    # q0 (pid 1) at 10 degrees: ranking 0 (hit), 2, 1 (hit) -> AP = (1/1 + 2/3) / 2, INP = 2/3
    # q1 (pid 2) at 75 degrees: ranking 1, 2 (hit), 0 -> AP = 1/2, INP = 1/2, first hit at rank 2
    angles = np.deg2rad([10.0, 75.0])
    text = _captions(np.stack([np.cos(angles), np.sin(angles)], axis=1), [1, 2])
    scored = TextScorer(i2t=True)(text, gallery, T2I)
    m = scored.metrics
    assert m["R1"] == pytest.approx(0.5)
    assert m["R5"] == pytest.approx(1.0)
    assert m["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)
    assert m["mINP"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    # i2t: image 0 (pid 1) ranks q0 first: hit; image 1 (pid 1) ranks q1 (pid 2) first: miss, and q0 is
    # its only positive, at rank 2; image 2 (pid 2, 45 degrees) ranks q1 (30 degrees away) first: hit
    assert m["i2t_R1"] == pytest.approx(2 / 3)
    assert m["i2t_mAP"] == pytest.approx((1 + 1 / 2 + 1) / 3)
    assert set(scored.results) == {"forward", "reverse"}
    assert scored.results["forward"].query_ap is not None  # per-query arrays travel with the score
    assert scored.cmc.tolist()[:2] == [0.5, 1.0] and scored.n_query == 2


def test_query_without_positive_counts_as_zero_with_denominator_all() -> None:
    gallery = Side(np.eye(2), np.array([1, 2]))
    text = _captions(np.eye(2), [1, 9])
    scored = TextScorer()(text, gallery, T2I)
    assert scored.n_valid_query == 1
    assert scored.metrics["R1"] == pytest.approx(0.5)
    assert "i2t_R1" not in scored.metrics
    skipping = EvaluationSpec(junk="none", distance="cosine", max_rank=10, denominator="valid")
    assert TextScorer()(text, gallery, skipping).metrics["R1"] == 1.0


def test_camera_rule_and_rerank_are_refused_for_captions() -> None:
    side = Side(np.eye(2), np.array([1, 2]))
    with pytest.raises(ProtocolError, match="junk: none"):
        TextScorer()(side, side, EvaluationSpec())
    with pytest.raises(ProtocolError, match="re-ranking is not defined"):
        TextScorer().check(T2I.model_copy(update={"rerank": True}))


def test_image_scorer_applies_the_camera_rule_as_the_metrics_api() -> None:
    rng = np.random.default_rng(0)
    q = Side(rng.normal(size=(6, 8)), np.array([1, 2, 3, 1, 2, 3]), np.array([0, 0, 0, 1, 1, 1]))
    g = Side(rng.normal(size=(9, 8)), np.array([1, 2, 3] * 3), np.array([0, 1, 2] * 3))
    evaluation = EvaluationSpec(max_rank=5)
    scored = ImageScorer()(q, g, evaluation)
    plain = evaluate_features(q.features, g.features, q.pids, g.pids, q.camids, g.camids, max_rank=5)
    assert scored.metrics["mAP"] == pytest.approx(plain.mAP)
    assert scored.cmc.tolist() == pytest.approx(list(plain.cmc))
    assert "R10" not in scored.metrics  # past max_rank
    assert scored.n_valid_query == plain.n_valid_query
