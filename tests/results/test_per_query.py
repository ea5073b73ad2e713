"""Per-query files written by ``harness run``: contents, hash, intervals, and old records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.errors import ResultError
from harness.metrics import evaluate_features
from harness.metrics.outcomes import QueryOutcomes
from harness.results import load_results, read_record
from harness.results.per_query import (
    QuerySet,
    build_per_query,
    compute_intervals,
    load_per_query_file,
    ranked_lists,
    read_per_query,
    write_per_query,
)


def test_run_writes_per_query_files_that_reproduce_the_metrics(two_methods: Path) -> None:
    for protocol, leg, trials in (("p1", "grid", 10), ("p2", "M", 1)):
        path = two_methods / "hsv-hist" / protocol / f"{leg}.json"
        record = read_record(path)
        assert record.per_query is not None and record.per_query.file == f"{leg}.queries.npz"
        assert (path.parent / record.per_query.file).is_file()
        pq = read_per_query(path)
        assert len(pq) == record.per_query.n_rows == trials * record.counts.n_query
        assert pq["topk"].shape == (len(pq), record.protocol.evaluation.max_rank)
        for metric in ("R1", "R5", "mAP", "mINP"):
            groups = pq.trial_groups([metric])
            assert len(groups) == trials
            mean = float(np.mean([g.mean() for g in groups]))
            assert mean == pytest.approx(record.metrics[metric], abs=1e-12)
            if trials > 1:
                per_trial = [t[metric] for t in record.trial_metrics]
                np.testing.assert_allclose([g.mean() for g in groups], per_trial, atol=1e-12)
        iv = record.intervals
        assert iv is not None and iv.scheme == ("trials+queries" if trials > 1 else "queries")
        assert iv.method == "percentile" and iv.n_resamples == 1000 and iv.level == 0.95
        for metric, bounds in iv.metrics.items():
            assert (
                bounds.low <= record.metrics[metric] + 1e-12 and record.metrics[metric] <= bounds.high + 1e-12
            )


def test_ranked_lists_name_real_gallery_images(two_methods: Path) -> None:
    path = two_methods / "hsv-hist" / "p2" / "M.json"
    lists = ranked_lists(path, queries=[0, 1])
    assert len(lists) == 2
    for rl in lists:
        assert Path(rl.query_path).is_file()
        assert len(rl.gallery_paths) == 10 and all(Path(p).is_file() for p in rl.gallery_paths)
        assert rl.query_path not in rl.gallery_paths
        hits = [i for i, ok in enumerate(rl.correct) if ok]
        if rl.first_rank <= 10:
            assert hits[0] + 1 == rl.first_rank


def test_load_results_returns_intervals_std_and_trials(two_methods: Path) -> None:
    frame = load_results(two_methods)
    grid = frame[(frame.method == "hsv-hist") & (frame.leg == "grid")].iloc[0]
    assert len(grid["trials"]) == 10 and grid["R1_std"] >= 0
    assert grid["mAP_ci_low"] <= grid["mAP"] <= grid["mAP_ci_high"]
    assert grid["ci_scheme"] == "trials+queries" and grid["ci_level"] == 0.95
    assert Path(grid["per_query"]).is_file()
    m = frame[(frame.method == "hsv-hist") & (frame.leg == "M")].iloc[0]
    assert m["trials"] == [] and m["ci_scheme"] == "queries"


def test_changed_file_and_old_record_are_named(two_methods: Path, tmp_path: Path) -> None:
    import shutil

    src = two_methods / "hsv-hist" / "p2"
    shutil.copy(src / "MS.json", tmp_path / "MS.json")
    shutil.copy(src / "MS.queries.npz", tmp_path / "MS.queries.npz")
    with open(tmp_path / "MS.queries.npz", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ResultError, match="sha256 differs"):
        read_per_query(tmp_path / "MS.json")
    raw = json.loads((tmp_path / "MS.json").read_text())
    raw.pop("per_query"), raw.pop("intervals")  # a record written before this change
    (tmp_path / "MS.json").write_text(json.dumps(raw))
    assert read_record(tmp_path / "MS.json").per_query is None  # still loads
    with pytest.raises(ResultError, match="no per-query outcomes"):
        read_per_query(tmp_path / "MS.json")
    frame = load_results(tmp_path)
    assert frame.iloc[0]["per_query"] is None and frame.iloc[0]["ci_level"] is None


def _set(rng, n_q=6, n_g=12, trial=0, repeat=0, k=4):
    q, g = rng.normal(size=(n_q, 5)), rng.normal(size=(n_g, 5))
    qp, gp = rng.integers(0, 4, n_q), rng.integers(0, 4, n_g)
    qc, gc = np.zeros(n_q, int), np.ones(n_g, int)
    res = evaluate_features(q, g, qp, gp, qc, gc, topk=k, max_rank=k)
    root = "/data/set"
    return QuerySet(
        [f"{root}/q/{i}.jpg" for i in range(n_q)],
        qp,
        qc,
        [f"{root}/g/{i}.jpg" for i in range(n_g)],
        gp,
        gc,
        res.outcomes(),
        trial=trial,
        repeat=repeat,
    )


def test_file_round_trip_and_compact_gallery_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    sets = [_set(rng, trial=0), _set(rng, trial=1)]
    pq = build_per_query(sets, root="/data/set", denominator="valid", k=4)
    sha = write_per_query(tmp_path / "x.queries.npz", pq)
    back = load_per_query_file(tmp_path / "x.queries.npz", sha)
    assert back["query_path"][0] == "q/0.jpg"  # relative to the dataset root
    for name in ("first_rank", "ap", "topk", "gallery_pid"):
        np.testing.assert_array_equal(back[name], pq[name])
    # the gallery table holds only referenced items, and top-k maps back to the right pids
    assert len(back["gallery_path"]) <= 2 * 12
    for t, qs in enumerate(sets):
        rows = back["trial"] == t
        expected = np.asarray(qs.gallery_pids)[qs.outcomes.topk]
        np.testing.assert_array_equal(back["gallery_pid"][back["topk"][rows]], expected)
    lists = back.ranked_lists(trial=1, queries=[2])
    assert lists[0].query_path == "/data/set/q/2.jpg" and lists[0].gallery_paths[0].startswith("/data/set/g/")
    iv = compute_intervals(back, ["R1", "mAP", "i2t_R1"])
    assert set(iv.metrics) == {"R1", "mAP"} and iv.scheme == "trials+queries"


def test_repeats_are_averaged_per_query() -> None:
    fr = np.array([1, 3, 0])
    out_a = QueryOutcomes(fr, np.array([1.0, 0.5, np.nan]), np.array([1.0, 0.5, np.nan]))
    out_b = QueryOutcomes(np.array([2, 1, 0]), np.array([0.5, 1.0, np.nan]), np.array([0.5, 1.0, np.nan]))
    sets = [
        QuerySet(["a", "b", "c"], np.zeros(3), np.zeros(3), ["g"], np.zeros(1), np.ones(1), out, repeat=r)
        for r, out in enumerate((out_a, out_b))
    ]
    pq = build_per_query(sets, root="", denominator="valid", k=2)
    _, key, values = pq.collapsed("R1")
    assert values.tolist() == [0.5, 0.5] and len(key) == 2  # query c has no positive: not counted
    assert pq.collapsed("mAP")[2].tolist() == [0.75, 0.75]
    bad = load_per_query_file
    with pytest.raises(ResultError, match="cannot read"):
        bad(Path("/nonexistent/x.queries.npz"))
