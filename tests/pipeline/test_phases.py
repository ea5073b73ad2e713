"""The shared phases: trial aggregation, the image pool, and the torchrun rule that every kind of
leg encodes on every rank and scores only on rank 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.data.manifest import Item, Manifest
from harness.pipeline.phases import ImagePool, aggregate
from harness.pipeline.scoring import TrialScore


def _score(r1: float, n_valid: int) -> TrialScore:
    return TrialScore({"R1": r1, "mAP": r1 / 2}, np.array([r1, 1.0]), 4, n_valid, {"junk": "none"})


def test_aggregate_means_population_std_and_the_worst_valid_count() -> None:
    agg = aggregate([_score(0.5, 4), _score(1.0, 3)])
    assert agg.metrics == pytest.approx({"R1": 0.75, "mAP": 0.375})
    assert agg.metrics_std == pytest.approx({"R1": 0.25, "mAP": 0.125})  # ddof=0
    assert agg.cmc == pytest.approx([0.75, 1.0])
    assert agg.n_valid_query == 3 and len(agg.per_trial) == 2


def test_one_trial_has_no_std_and_no_per_trial_list() -> None:
    agg = aggregate([_score(0.5, 4)])
    assert agg.metrics == {"R1": 0.5, "mAP": 0.25} and agg.metrics_std == {} and agg.per_trial == []


def test_image_pool_leaves_undecodable_items_out_of_every_side() -> None:
    items = [
        Item(f"/{n}.jpg", pid, cam, "test", "d") for n, pid, cam in (("a", 1, 0), ("b", 2, 1), ("c", 1, 2))
    ]
    pool = ImagePool(np.arange(6.0).reshape(3, 2), {"/a.jpg": 0, "/b.jpg": 1, "/c.jpg": 2}, {"/b.jpg"}, [])
    side = pool.side(pool.keep(Manifest(items)))
    assert side.features.tolist() == [[0.0, 1.0], [4.0, 5.0]]
    assert side.pids.tolist() == [1, 1] and side.camids.tolist() == [0, 2]
    assert list(side.names) == ["/a.jpg", "/c.jpg"]


@pytest.mark.parametrize(
    ("protocol", "method", "leg"), [("single", "hsv-hist", "market1501"), ("t2i", "attr-match", "rstpreid")]
)
def test_other_ranks_encode_then_return_before_scoring(
    tiny_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str, method: str, leg: str
) -> None:
    """Rank 1 (simulated without a process group) encodes every embedding into the cache, then
    returns before scoring, for image and text legs alike; rank 0 then reads them all from the cache."""
    from harness.engine.distributed import DistContext
    from harness.engine.session import EngineSession
    from harness.pipeline import scoring
    from harness.protocols import get_protocol
    from harness.runner import RunOptions, run_leg

    options = RunOptions(
        data_root=tiny_world, out_dir=tmp_path / "out", device="cpu", cache_dir=tmp_path / "c"
    )
    spec = get_protocol(protocol)
    other = EngineSession.open(options.engine_settings(), DistContext(rank=1, world_size=1))
    with monkeypatch.context() as patch:
        patch.setattr(scoring, "score", lambda *a, **k: pytest.fail("rank 1 scored"))
        assert (
            run_leg(spec, spec.leg(leg), method, None, options, {}, lambda d, n: lambda k: None, other) == []
        )
    assert not (tmp_path / "out").exists()
    main = EngineSession.open(options.engine_settings(), DistContext())
    (outcome,) = run_leg(spec, spec.leg(leg), method, None, options, {}, lambda d, n: lambda k: None, main)
    assert {block["cache"] for block in outcome.record.engine.encode.values()} == {"hit"}
