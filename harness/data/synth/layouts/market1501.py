"""Market-1501 layout writer: ``Market-1501-v15.09.15/{bounding_box_train,query,bounding_box_test}``.

Test identities are seen by 2-4 cameras with 2-3 images each; the first image of each camera goes
to ``query`` for up to two cameras, the rest to ``bounding_box_test``, so every query has a
cross-camera match. The gallery also gets pid ``0000`` distractors and pid ``-1`` junk images,
which the reader keeps and drops respectively.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.draw import write_image
from harness.data.synth.world import rng_for

NUM_CAMS = 6


def _name(pid: int, cam: int, seq: int, frame: int, box: int) -> str:
    prefix = "-1" if pid == -1 else f"{pid:04d}"
    return f"{prefix}_c{cam}s{seq}_{frame:06d}_{box:02d}.jpg"


def write_market1501(root: Path, *, seed: int, scale: dict) -> dict:
    """Write the dataset under ``root/market1501/Market-1501-v15.09.15``; return its split counts."""
    dataset = "market1501"
    base = root / "market1501" / "Market-1501-v15.09.15"
    rng = rng_for(seed, dataset, "plan")
    n_train, n_test = scale["train_ids"], scale["test_ids"]
    pids = sorted(int(p) for p in rng.choice(range(1, 1502), size=n_train + n_test, replace=False))
    order = rng.permutation(len(pids))
    train_pids = sorted(pids[i] for i in order[:n_train])
    test_pids = sorted(pids[i] for i in order[n_train:])
    counts = {"train": [set(), 0], "query": [set(), 0], "gallery": [set(), 0]}
    frame = 0

    def emit(split: str, folder: str, pid: int, cam: int, index: int) -> None:
        nonlocal frame
        frame += 1
        write_image(
            base / folder / _name(pid, cam + 1, 1, frame, 1),
            seed=seed,
            dataset=dataset,
            pid=pid,
            camid=cam,
            index=index,
        )
        if pid != -1:
            counts[split][0].add(pid)
            counts[split][1] += 1

    for pid in train_pids:
        cams = sorted(rng.choice(NUM_CAMS, size=int(rng.integers(2, 5)), replace=False))
        for k, cam in enumerate(int(c) for c in cams):
            for j in range(int(rng.integers(1, 4))):
                emit("train", "bounding_box_train", pid, cam, 10 * k + j)
    for pid in test_pids:
        cams = sorted(rng.choice(NUM_CAMS, size=int(rng.integers(2, 5)), replace=False))
        for k, cam in enumerate(int(c) for c in cams):
            for j in range(int(rng.integers(2, 4))):
                is_query = j == 0 and k < 2
                emit(
                    "query" if is_query else "gallery",
                    "query" if is_query else "bounding_box_test",
                    pid,
                    cam,
                    10 * k + j,
                )
    for i in range(scale["distractors"]):
        emit("gallery", "bounding_box_test", 0, int(rng.integers(NUM_CAMS)), 1000 + i)
    for i in range(scale["junk"]):
        emit("gallery", "bounding_box_test", -1, int(rng.integers(NUM_CAMS)), 2000 + i)
    return {split: {"ids": len(ids), "images": n} for split, (ids, n) in counts.items()}
