"""T2I scoring on hand-computed cases: multi-caption queries, no camera rule, IRRA's denominators."""

from __future__ import annotations

import numpy as np
import pytest

from harness.data.manifest import Item, Manifest
from harness.errors import ProtocolError
from harness.protocols import EvaluationSpec
from harness.text.evaluate import caption_queries, evaluate_t2i, headline

T2I = EvaluationSpec(junk="none", distance="cosine", normalize=True, max_rank=10, denominator="all")


def test_each_caption_is_one_query_with_its_image_pid() -> None:
    manifest = Manifest(
        [
            Item("/a.jpg", 5, 0, "test", "d", captions=("red", "red shirt")),
            Item("/b.jpg", 7, 0, "test", "d", captions=("blue",)),
        ]
    )
    queries = caption_queries(manifest)
    assert queries.captions == ["red", "red shirt", "blue"]
    assert queries.pids.tolist() == [5, 5, 7]
    assert queries.image_index.tolist() == [0, 0, 1]


def test_hand_computed_ranking() -> None:
    # gallery: 3 images, pids [1, 1, 2], on the unit circle at 0, 90 and 45 degrees
    gallery = np.array([[1.0, 0.0], [0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]])
    g_pids = np.array([1, 1, 2])
    # q0 (pid 1) at 10 degrees: ranking 0 (hit), 2, 1 (hit) -> AP = (1/1 + 2/3) / 2, INP = 2/3
    # q1 (pid 2) at 75 degrees: ranking 1, 2 (hit), 0 -> AP = 1/2, INP = 1/2, first hit at rank 2
    angles = np.deg2rad([10.0, 75.0])
    text = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    results = evaluate_t2i(text, gallery, np.array([1, 2]), g_pids, T2I, i2t=True)
    t2i = headline(results)
    assert t2i["R1"] == pytest.approx(0.5)
    assert t2i["R5"] == pytest.approx(1.0)
    assert t2i["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)
    assert t2i["mINP"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    # i2t: image 0 (pid 1) ranks q0 first: hit; image 1 (pid 1) ranks q1 (pid 2) first: miss, and q0 is
    # its only positive, at rank 2; image 2 (pid 2, 45 degrees) ranks q1 (30 degrees away) first: hit
    i2t = t2i
    assert i2t["i2t_R1"] == pytest.approx(2 / 3)
    assert i2t["i2t_mAP"] == pytest.approx((1 + 1 / 2 + 1) / 3)


def test_query_without_positive_counts_as_zero_with_denominator_all() -> None:
    gallery = np.eye(2)
    text = np.array([[1.0, 0.0], [0.0, 1.0]])
    results = evaluate_t2i(text, gallery, np.array([1, 9]), np.array([1, 2]), T2I)
    assert results["t2i"].n_valid_query == 1
    assert headline(results)["R1"] == pytest.approx(0.5)
    skipping = EvaluationSpec(junk="none", distance="cosine", max_rank=10, denominator="valid")
    assert headline(evaluate_t2i(text, gallery, np.array([1, 9]), np.array([1, 2]), skipping))["R1"] == 1.0


def test_camera_rule_and_rerank_are_refused() -> None:
    gallery, text = np.eye(2), np.eye(2)
    with pytest.raises(ProtocolError, match="junk: none"):
        evaluate_t2i(text, gallery, np.array([1, 2]), np.array([1, 2]), EvaluationSpec())
    with pytest.raises(ProtocolError, match="re-ranking is not defined"):
        evaluate_t2i(
            text, gallery, np.array([1, 2]), np.array([1, 2]), T2I.model_copy(update={"rerank": True})
        )
