"""Frozen single-shot trial splits for the small targets (PRID2011, GRID, VIPeR, QMUL iLIDS).

Each ``<dataset>.json`` here was generated once by :mod:`harness.data.splits.generate` with a fixed
seed and is shipped with the harness, so every run and every user evaluates the same 10 trials.
A split file names identities (and, for iLIDS, how to pick the query and gallery image of each
test id), never file paths, so it applies to any copy of the dataset; the harness checks it against
what is on disk (:mod:`harness.data.splits.trials`) and names the split file, trial and id on a
mismatch.

Format (``format: 1``)::

    {"format": 1, "dataset": "prid2011", "seed": 2011, "source": "...",
     "query": {"part": "cam_a", "ids": "test"},            # which reader split, which ids
     "gallery": {"part": "cam_b", "ids": "not-train"},     # "test" or "not-train" (adds distractors)
     "pick": "single",                                     # "single": exactly one image per id and part
                                                           # "fraction": iLIDS, see Trial.picks
     "expected": {"query": 100, "gallery": 649},           # sizes on the real dataset (null: unchecked)
     "trials": [{"train_ids": [...], "test_ids": [...], "picks": {"<pid>": [uq, ug]}}, ...]}

A synthetic world records split sets of the same format in its marker file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError

SPLIT_FORMAT = 1
SPLITS_DIR = Path(__file__).resolve().parent
ID_RULES = ("test", "not-train")
PICKS = ("single", "fraction")


@dataclass(frozen=True)
class PartRule:
    """Which reader split a side comes from and which of its ids it keeps."""

    part: str
    ids: str


@dataclass(frozen=True)
class Trial:
    """One trial: disjoint training and test identities.

    ``picks`` (``pick == "fraction"`` only) maps a test pid to ``(uq, ug)`` in [0, 1): the query is
    image ``floor(uq * n)`` of the id's ``n`` images in file-name order, the gallery image is image
    ``floor(ug * (n - 1))`` of the remaining ones.
    """

    train_ids: tuple[int, ...]
    test_ids: tuple[int, ...]
    picks: dict[int, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class SplitSet:
    dataset: str
    seed: int | None
    source: str
    query: PartRule
    gallery: PartRule
    pick: str
    expected: dict[str, int] | None
    trials: tuple[Trial, ...]
    origin: str = ""
    """Where the set was loaded from (a file path or the synthetic marker), for messages."""
    published: str | None = None
    """Whose published split file from the user's copy this is (``metabin``, ``cmdg``;
    ``harness.data.splits.published``), else None: a leg is evaluated on all its splits when it holds
    fewer than the protocol's trials, and the token is part of the record's identity."""
    listed: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    """Per trial, the (query, gallery) image paths the published file lists, when it lists images:
    the trials built from the ids must equal them (checked in :mod:`harness.protocols.trials`)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see the module docstring)."""
        trials = []
        for t in self.trials:
            entry: dict[str, Any] = {"train_ids": list(t.train_ids), "test_ids": list(t.test_ids)}
            if t.picks:
                entry["picks"] = {str(k): list(v) for k, v in sorted(t.picks.items())}
            trials.append(entry)
        return {
            "format": SPLIT_FORMAT,
            "dataset": self.dataset,
            "seed": self.seed,
            "source": self.source,
            "query": {"part": self.query.part, "ids": self.query.ids},
            "gallery": {"part": self.gallery.part, "ids": self.gallery.ids},
            "pick": self.pick,
            "expected": self.expected,
            "trials": trials,
        }


def _ints(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise DataError(f"{where}: expected a list of integer ids")
    return tuple(value)


def split_set_from_dict(raw: Any, origin: str) -> SplitSet:
    """Validate one split set; errors name ``origin`` and the bad field."""
    if not isinstance(raw, dict):
        raise DataError(f"{origin}: expected a JSON object, found {type(raw).__name__}")
    if raw.get("format") != SPLIT_FORMAT:
        raise DataError(f"{origin}: unknown split format {raw.get('format')!r}; expected {SPLIT_FORMAT}")
    missing = [k for k in ("dataset", "query", "gallery", "pick", "trials") if k not in raw]
    if missing:
        raise DataError(f"{origin}: missing field(s) {', '.join(missing)}")
    rules = {}
    for side in ("query", "gallery"):
        rule = raw[side]
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("part"), str)
            or rule.get("ids") not in ID_RULES
        ):
            raise DataError(f"{origin}: '{side}' must be {{'part': <split>, 'ids': one of {list(ID_RULES)}}}")
        rules[side] = PartRule(rule["part"], rule["ids"])
    if raw["pick"] not in PICKS:
        raise DataError(f"{origin}: 'pick' must be one of {list(PICKS)}, found {raw['pick']!r}")
    if not isinstance(raw["trials"], list) or not raw["trials"]:
        raise DataError(f"{origin}: 'trials' must be a non-empty list")
    trials = []
    for n, entry in enumerate(raw["trials"]):
        where = f"{origin} trial {n}"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: expected an object with train_ids and test_ids")
        train = _ints(entry.get("train_ids"), f"{where} train_ids")
        test = _ints(entry.get("test_ids"), f"{where} test_ids")
        overlap = sorted(set(train) & set(test))
        if overlap:
            raise DataError(f"{where}: ids {overlap[:5]} are both training and test ids")
        if len(set(test)) != len(test):
            raise DataError(f"{where}: test_ids repeat an id")
        picks: dict[int, tuple[float, float]] = {}
        if raw["pick"] == "fraction":
            given = entry.get("picks")
            if not isinstance(given, dict) or {int(k) for k in given} != set(test):
                raise DataError(f"{where}: 'picks' must give [uq, ug] for every test id")
            for key, pair in given.items():
                if not (isinstance(pair, list) and len(pair) == 2 and all(0 <= float(u) < 1 for u in pair)):
                    raise DataError(f"{where}: picks[{key}] must be two fractions in [0, 1)")
                picks[int(key)] = (float(pair[0]), float(pair[1]))
        trials.append(Trial(train, test, picks))
    expected = raw.get("expected")
    if expected is not None and not (isinstance(expected, dict) and set(expected) == {"query", "gallery"}):
        raise DataError(f"{origin}: 'expected' must be null or {{'query': n, 'gallery': n}}")
    return SplitSet(
        dataset=str(raw["dataset"]),
        seed=raw.get("seed"),
        source=str(raw.get("source", "")),
        query=rules["query"],
        gallery=rules["gallery"],
        pick=raw["pick"],
        expected=expected,
        trials=tuple(trials),
        origin=origin,
    )


def load_split_file(path: Path) -> SplitSet:
    """Read and validate one split file."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read split file ({exc})") from exc
    return split_set_from_dict(raw, str(path))


def frozen_split_path(dataset: str) -> Path:
    return SPLITS_DIR / f"{dataset}.json"


def frozen_splits(dataset: str) -> SplitSet:
    """The shipped split set of ``dataset`` (a registered reader name)."""
    path = frozen_split_path(dataset)
    if not path.is_file():
        shipped = sorted(p.stem for p in SPLITS_DIR.glob("*.json"))
        raise DataError(f"no frozen split file for {dataset!r} at {path}; shipped: {', '.join(shipped)}")
    return load_split_file(path)
