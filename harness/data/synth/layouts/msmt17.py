"""MSMT17 V1 layout writer: ``msmt17/MSMT17_V1/{train,test,list_*.txt}``.

Train ids 0..N-1 (about one image in five goes to ``list_val``); test ids restart at 0 in the
query/gallery lists, as on the real data, so the reader's offset is exercised. Each test id is seen
by 2-3 of the 15 cameras; its first image goes to the query, the rest to the gallery.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.guard import put_text
from harness.data.synth.layouts._common import SplitCounter
from harness.data.synth.world import rng_for

NUM_CAMS = 15


def write_msmt17(root: Path, *, seed: int, scale: dict) -> dict:
    dataset = "msmt17"
    base = root / "msmt17" / "MSMT17_V1"
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, dataset, ("train", "val", "query", "gallery"))
    lists: dict[str, list[str]] = {"train": [], "val": [], "query": [], "gallery": []}
    n_train = scale["train_ids"] // 2

    def emit(split: str, folder: str, list_pid: int, world_pid: int, cam: int, k: int) -> None:
        rel = f"{list_pid:04d}/{list_pid:04d}_{k:03d}_{cam + 1:02d}_0303morning_{k:04d}_0.jpg"
        out.write(base / folder / rel, split, world_pid, cam, k, count_pid=world_pid)
        lists[split].append(f"{rel} {list_pid}")

    for pid in range(n_train):
        cams = rng.choice(NUM_CAMS, size=2, replace=False)
        for k in range(int(rng.integers(2, 5))):
            emit(
                "val" if k == 3 or (pid % 5 == 0 and k == 1) else "train",
                "train",
                pid,
                pid,
                int(cams[k % 2]),
                k,
            )
    for tid in range(scale["test_ids"] // 2):
        world_pid = 10_000 + tid  # a different person than train id `tid`
        cams = rng.choice(NUM_CAMS, size=int(rng.integers(2, 4)), replace=False)
        k = 0
        for c, cam in enumerate(int(x) for x in cams):
            for j in range(2):
                emit("query" if c == 0 and j == 0 else "gallery", "test", tid, world_pid, cam, k)
                k += 1
    for split, lines in lists.items():
        put_text(base / f"list_{split}.txt", "\n".join(lines) + "\n")
    return out.counts()
