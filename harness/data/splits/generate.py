"""How the shipped split files were made (and how a synthetic world makes its own).

``python -m harness.data.splits.generate [OUT_DIR]`` rewrites the four files from the constants in
:data:`REAL`; a test checks that this reproduces the shipped files byte for byte.

Identity universes on the real datasets (from the reader docstrings and torchreid):

* PRID2011: ids 1-200 are in both cameras; 100 train / 100 test per trial.
* GRID: paired ids 1-250; 125 train / 125 test. The official ``trainIdxAll`` partition of
  ``features_and_partitions.mat`` could not be obtained here, so the shipped GRID trials are drawn
  with a fixed seed like the others (⚠ a deliberate deviation: :func:`grid_split_set_from_mat`
  converts the official partition into this format, so the file can be regenerated from it).
* VIPeR: ids 0-631 (sorted-position pairing); 316 train / 316 test.
* QMUL iLIDS: ids 1-119 (⚠ UNVERIFIED range); 59 train / 60 test, with per-id image picks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.atomic import write_text_atomic
from harness.data.splits import SPLITS_DIR, PartRule, SplitSet, Trial
from harness.errors import DataError

NUM_TRIALS = 10


@dataclass(frozen=True)
class Rule:
    """How a dataset's trials are shaped (shared by the real files and the synthetic world)."""

    query: PartRule
    gallery: PartRule
    pick: str


RULES: dict[str, Rule] = {
    "prid2011": Rule(PartRule("cam_a", "test"), PartRule("cam_b", "not-train"), "single"),
    "grid": Rule(PartRule("probe", "test"), PartRule("gallery", "not-train"), "single"),
    "viper": Rule(PartRule("cam_a", "test"), PartRule("cam_b", "test"), "single"),
    "ilids": Rule(PartRule("all", "test"), PartRule("all", "test"), "fraction"),
}

# dataset: (seed, ids, number of training ids, expected query/gallery sizes, source note)
REAL: dict[str, tuple[int, Sequence[int], int, dict[str, int], str]] = {
    "prid2011": (
        2011,
        range(1, 201),
        100,
        {"query": 100, "gallery": 649},
        "harness seeded split: 100 of the 200 two-camera ids train, 100 test (torchreid rule)",
    ),
    "grid": (
        2009,
        range(1, 251),
        125,
        {"query": 125, "gallery": 900},
        "harness seeded split (not the official trainIdxAll partition; see generate.py)",
    ),
    "viper": (
        2008,
        range(0, 632),
        316,
        {"query": 316, "gallery": 316},
        "harness seeded split: 316 train / 316 test ids, cam_a query -> cam_b gallery",
    ),
    "ilids": (
        2009_1,
        range(1, 120),
        59,
        {"query": 60, "gallery": 60},
        "harness seeded split: 59 train / 60 test ids (torchreid rule), one query and one gallery "
        "image per test id picked by stored fractions",
    ),
}


def random_trials(
    ids: Sequence[int], n_train: int, *, seed: int, pick: str, n_trials: int = NUM_TRIALS
) -> tuple[Trial, ...]:
    """``n_trials`` random train/test partitions of ``ids`` (sorted id lists) from one seeded generator."""
    rng = np.random.default_rng(seed)
    ids = sorted(int(i) for i in ids)
    trials = []
    for _ in range(n_trials):
        order = rng.permutation(len(ids))
        train = sorted(ids[i] for i in order[:n_train])
        test = sorted(ids[i] for i in order[n_train:])
        picks = {}
        if pick == "fraction":
            for pid in test:
                uq, ug = rng.random(2)
                picks[pid] = (round(float(uq), 6) % 1.0, round(float(ug), 6) % 1.0)
        trials.append(Trial(tuple(train), tuple(test), picks))
    return tuple(trials)


def make_split_set(
    dataset: str,
    ids: Sequence[int],
    n_train: int,
    *,
    seed: int,
    source: str,
    expected: dict[str, int] | None,
    n_trials: int = NUM_TRIALS,
) -> SplitSet:
    rule = RULES[dataset]
    return SplitSet(
        dataset=dataset,
        seed=seed,
        source=source,
        query=rule.query,
        gallery=rule.gallery,
        pick=rule.pick,
        expected=expected,
        trials=random_trials(ids, n_train, seed=seed, pick=rule.pick, n_trials=n_trials),
    )


def real_split_sets() -> dict[str, SplitSet]:
    """The split sets shipped in ``harness/data/splits``."""
    return {
        name: make_split_set(name, ids, n_train, seed=seed, source=source, expected=expected)
        for name, (seed, ids, n_train, expected, source) in REAL.items()
    }


def grid_split_set_from_mat(mat_path: Path) -> SplitSet:
    """GRID trials from the official ``features_and_partitions.mat`` (``trainIdxAll``: 10 x 125 ids)."""
    from harness.data.matfile import load_mat

    mat = load_mat(
        mat_path,
        what="GRID's official partition (trainIdxAll)",
        instead="move the file away to use the harness's shipped GRID split (recorded as such)",
    )
    try:
        cells = mat["trainIdxAll"][0]
    except Exception as exc:  # missing key, wrong shape
        raise DataError(f"{mat_path}: cannot read trainIdxAll ({type(exc).__name__}: {exc})") from exc
    paired = set(range(1, 251))
    trials = []
    for n, cell in enumerate(cells):
        cell = np.asarray(cell)
        while cell.dtype == object:
            cell = np.asarray(cell.ravel()[0])
        train = sorted(int(i) for i in cell.ravel())
        if not set(train) <= paired:
            raise DataError(f"{mat_path}: trainIdxAll[{n}] has ids outside 1..250")
        trials.append(Trial(tuple(train), tuple(sorted(paired - set(train)))))
    rule = RULES["grid"]
    expected = REAL["grid"][3]
    return SplitSet(
        "grid",
        None,
        f"trainIdxAll of {Path(mat_path).name}",
        rule.query,
        rule.gallery,
        rule.pick,
        expected,
        tuple(trials),
    )


def dump(split_set: SplitSet) -> str:
    """The canonical text of a split file: header fields indented, one compact line per trial."""
    data = split_set.to_dict()
    trials = data.pop("trials")
    head = json.dumps(data, indent=1, sort_keys=True)[:-2]  # drop the closing "\n}"
    lines = ",\n  ".join(json.dumps(t, sort_keys=False, separators=(",", ":")) for t in trials)
    return f'{head},\n "trials": [\n  {lines}\n ]\n}}\n'


def write_split_files(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, split_set in real_split_sets().items():
        path = out_dir / f"{name}.json"
        write_text_atomic(path, dump(split_set))
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for p in write_split_files(Path(sys.argv[1]) if len(sys.argv) > 1 else SPLITS_DIR):
        print(p)
