"""Writers of the small single-shot targets (PRID2011, GRID, VIPeR, QMUL iLIDS).

Each records, next to its counts, a 10-trial split set in the shipped format
(:mod:`harness.data.splits`), made by the same generator as the real files over the world's ids,
so trials resolve through exactly the same code as on real data.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.splits.generate import NUM_TRIALS, make_split_set
from harness.data.synth.layouts._common import SplitCounter
from harness.data.synth.world import rng_for


def _splits(dataset: str, ids: list[int], n_train: int, seed: int) -> dict:
    split_set = make_split_set(
        dataset, ids, n_train, seed=seed, source="synthetic world", expected=None, n_trials=NUM_TRIALS
    )
    return split_set.to_dict()


def write_prid2011(root: Path, *, seed: int, scale: dict) -> dict:
    """``prid2011/prid_2011/single_shot/{cam_a,cam_b}/person_NNNN.png``: ids 1..S in both cameras,
    then cam-A-only and cam-B-only ids (the distractors)."""
    dataset = "prid2011"
    base = root / "prid2011" / "prid_2011" / "single_shot"
    out = SplitCounter(seed, dataset, ("cam_a", "cam_b"))
    shared = scale["test_ids"]
    only_a, only_b = scale["distractors"] // 2, scale["distractors"]
    for pid in range(1, shared + only_a + 1):
        out.write(base / "cam_a" / f"person_{pid:04d}.png", "cam_a", pid, 0, 0)
    for pid in [*range(1, shared + 1), *range(shared + only_a + 1, shared + only_a + only_b + 1)]:
        out.write(base / "cam_b" / f"person_{pid:04d}.png", "cam_b", pid, 1, 0)
    return {"counts": out.counts(), "splits": _splits(dataset, list(range(1, shared + 1)), shared // 2, seed)}


def write_grid(root: Path, *, seed: int, scale: dict) -> dict:
    """``grid/underground_reid/{probe,gallery}/<pid:04d>_<cam>_<frame>.jpeg`` with pid-0 distractors."""
    dataset = "grid"
    base = root / "grid" / "underground_reid"
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, dataset, ("probe", "gallery"))
    paired = scale["test_ids"]
    for pid in range(1, paired + 1):
        cams = rng.choice(8, size=2, replace=False)
        out.write(base / "probe" / f"{pid:04d}_{cams[0] + 1}_{pid:05d}.jpeg", "probe", pid, int(cams[0]), 0)
        out.write(
            base / "gallery" / f"{pid:04d}_{cams[1] + 1}_{pid:05d}.jpeg", "gallery", pid, int(cams[1]), 1
        )
    for i in range(scale["distractors"]):
        cam = int(rng.integers(8))
        out.write(
            base / "gallery" / f"0000_{cam + 1}_{90000 + i:05d}.jpeg",
            "gallery",
            -(1000 + i),
            cam,
            2,
            count_pid=0,
        )
    return {"counts": out.counts(), "splits": _splits(dataset, list(range(1, paired + 1)), paired // 2, seed)}


def write_viper(root: Path, *, seed: int, scale: dict) -> dict:
    """``viper/VIPeR/{cam_a,cam_b}/<id:03d>_<angle>.bmp``, paired by sorted position."""
    dataset = "viper"
    base = root / "viper" / "VIPeR"
    out = SplitCounter(seed, dataset, ("cam_a", "cam_b"))
    n = scale["test_ids"]
    for pos in range(n):
        out.write(base / "cam_a" / f"{pos:03d}_0.bmp", "cam_a", pos, 0, 0)
        out.write(base / "cam_b" / f"{pos:03d}_90.bmp", "cam_b", pos, 1, 0)
    return {"counts": out.counts(), "splits": _splits(dataset, list(range(n)), n // 2, seed)}


def write_ilids(root: Path, *, seed: int, scale: dict) -> dict:
    """``ilids/i-LIDS_Pedestrian/Persons/PPPPSSS.jpg`` with 2-4 images per id."""
    dataset = "ilids"
    base = root / "ilids" / "i-LIDS_Pedestrian" / "Persons"
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, dataset, ("all",))
    n = scale["test_ids"]
    for pid in range(1, n + 1):
        for seq in range(1, int(rng.integers(2, 5)) + 1):
            out.write(base / f"{pid:04d}{seq:03d}.jpg", "all", pid, seq - 1, seq)
    return {"counts": out.counts(), "splits": _splits(dataset, list(range(1, n + 1)), n // 2, seed)}


def write_viper_split_folders(root: Path, n_splits: int = NUM_TRIALS) -> list[Path]:
    """MetaBIN's ``viper/split_{n}a/{train,query,gallery}/p{pid:03d}_c{1|2}_d{0|90}.png`` for the
    first ``n_splits`` VIPeR trials the synthetic world at ``root`` recorded (``split_{n}a`` = trial
    ``n - 1``: train = both cameras of its training ids, query = camera 1 and gallery = camera 2 of its
    test ids), each image the same pixels as the world's ``cam_a``/``cam_b`` one. A run on these
    folders must reproduce those trials' numbers. Returns the folders written."""
    from harness.data.base import read_synth_marker
    from harness.data.splits import split_set_from_dict
    from harness.data.synth.draw import write_image
    from harness.errors import DataError

    marker = read_synth_marker(root)
    viper = (marker or {}).get("datasets", {}).get("viper")
    if not viper:
        raise DataError(
            f"{root}: no synthetic VIPeR here; write it first (harness data synth --dataset viper)"
        )
    split_set = split_set_from_dict(viper["splits"], f"{root} (synthetic marker, viper)")
    folders = []
    for n, trial in enumerate(split_set.trials[:n_splits], start=1):
        folder = root / "viper" / f"split_{n}a"
        sides = [("train", pid, cam) for pid in trial.train_ids for cam in (0, 1)]
        sides += [("query", pid, 0) for pid in trial.test_ids] + [
            ("gallery", pid, 1) for pid in trial.test_ids
        ]
        for role, pid, cam in sides:
            path = folder / role / f"p{pid:03d}_c{cam + 1}_d{90 * cam}.png"
            write_image(path, seed=marker["seed"], dataset="viper", pid=pid, camid=cam, index=0)
        folders.append(folder)
    return folders
