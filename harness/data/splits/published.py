"""Published small-target split files in the user's copy of a dataset (Protocol-1 targets).

When one of these files sits in the dataset's folder (or the folder above it), the harness evaluates
its trials instead of the shipped frozen ones, and the result record names it
(``data.<dataset>.split_source``), as for GRID's official partition file:

- ``splits_single_shot.json`` (PRID2011; MetaBIN's and torchreid's ``DG_PRID`` / ``PRID`` split file):
  a list of ``{"train": [pid, ...], "test": [pid, ...]}``, pids = the ``person_NNNN`` numbers; query =
  the test ids' ``cam_a`` images, gallery = every ``cam_b`` image except the training ids' (the test
  ids plus the 549 gallery-only distractors), as MetaBIN builds it.
- ``Qwen-all/Qwen2_<name>.json`` (CMDG's caption split files, ``<name>`` = ``prid``, ``viper``,
  ``ilds``/``ilids``): a list of splits ``{"train": [...], "query": [...], "gallery": [...]}`` of
  items ``{"file_path": "/single_shot/cam_a/person_0002.png", "id": ..., "camid": ...}``. CMDG's PRID
  and VIPeR files hold one split, its iLIDS file ten. Each listed image is found on disk by its last
  two path components; the trial's query and gallery must then be exactly what the harness's rule for
  that dataset builds from the ids (checked by :func:`harness.protocols.trials.split_set_for`; else a
  DataError names the file, split and image).

MetaBIN's VIPeR ``split_Na`` image folders are read as they are, not through ids:
:mod:`harness.data.splits.folders`.

A published file with fewer splits than the protocol's ``trials`` is evaluated on all its splits (the
record's trial count says how many).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.data.base import DatasetRead
from harness.data.manifest import Item
from harness.data.splits import SplitSet, Trial, frozen_splits
from harness.errors import DataError

METABIN_PRID = "splits_single_shot.json"
CMDG_NAMES: dict[str, tuple[str, ...]] = {
    "prid2011": ("prid",),
    "viper": ("viper",),
    "ilids": ("ilds", "ilids"),
}


def find_published(read: DatasetRead) -> SplitSet | None:
    """The published split set in the user's copy of ``read``'s dataset, or None."""
    name = read.manifest.name
    folders = [read.found.root, read.found.root.parent]
    if name == "prid2011":
        for folder in folders:
            path = folder / METABIN_PRID
            if path.is_file():
                return metabin_prid_split_set(path)
    for stem in CMDG_NAMES.get(name, ()):
        for folder in folders:
            path = folder / "Qwen-all" / f"Qwen2_{stem}.json"
            if path.is_file():
                return cmdg_split_set(path, read)
    return None


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read split file ({exc})") from exc


def _pids(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise DataError(f"{where}: expected a list of integer person ids")
    return tuple(sorted(value))


def metabin_prid_split_set(path: Path) -> SplitSet:
    """MetaBIN/torchreid ``splits_single_shot.json`` as a split set (PRID2011 rules of the frozen set)."""
    raw = _load(path)
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{path}: expected a non-empty list of {{'train': [...], 'test': [...]}} splits")
    trials = []
    for n, split in enumerate(raw):
        where = f"{path} split {n}"
        if not isinstance(split, dict) or not {"train", "test"} <= set(split):
            raise DataError(f"{where}: expected an object with 'train' and 'test' id lists")
        trials.append(Trial(_pids(split["train"], f"{where} train"), _pids(split["test"], f"{where} test")))
    rules = frozen_splits("prid2011")
    return replace(
        rules,
        seed=None,
        source=f"MetaBIN/torchreid split file {METABIN_PRID}",
        trials=tuple(trials),
        origin=str(path),
        published="metabin",
    )


def _index(read: DatasetRead) -> dict[tuple[str, str], Item]:
    """Manifest items keyed by their last two path components (folder, file name)."""
    out: dict[tuple[str, str], Item] = {}
    for item in read.manifest:
        p = Path(item.path)
        out[(p.parent.name, p.name)] = item
    return out


def _items(entries: Any, index: dict[tuple[str, str], Item], where: str) -> list[Item]:
    if not isinstance(entries, list):
        raise DataError(f"{where}: expected a list of images")
    items = []
    for entry in entries:
        file_path = entry.get("file_path") if isinstance(entry, dict) else None
        if not isinstance(file_path, str):
            raise DataError(f"{where}: every image needs a 'file_path' string")
        p = Path(file_path)
        item = index.get((p.parent.name, p.name))
        if item is None:
            raise DataError(f"{where}: image {file_path} is not in this copy of the dataset")
        items.append(item)
    return items


def cmdg_split_set(path: Path, read: DatasetRead) -> SplitSet:
    """A CMDG caption split file as a split set; ``listed`` keeps its query/gallery images so the
    trials built from its ids can be checked against them."""
    raw = _load(path)
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{path}: expected a non-empty list of {{'train', 'query', 'gallery'}} splits")
    rules = frozen_splits(read.manifest.name)
    index = _index(read)
    trials = []
    listed = []
    for n, split in enumerate(raw):
        where = f"{path} split {n}"
        if not isinstance(split, dict) or not {"train", "query", "gallery"} <= set(split):
            raise DataError(f"{where}: expected an object with 'train', 'query' and 'gallery' image lists")
        train = _items(split["train"], index, f"{where} train")
        query = _items(split["query"], index, f"{where} query")
        gallery = _items(split["gallery"], index, f"{where} gallery")
        test_ids = tuple(sorted({it.pid for it in query}))
        picks: dict[int, tuple[float, float]] = {}
        if rules.pick == "fraction":
            picks = _fraction_picks(read, rules.query.part, query, gallery, where)
        trials.append(Trial(tuple(sorted({it.pid for it in train})), test_ids, picks))
        listed.append((frozenset(it.path for it in query), frozenset(it.path for it in gallery)))
    return replace(
        rules,
        seed=None,
        source=f"CMDG caption split file {path.name}",
        expected=None,
        trials=tuple(trials),
        origin=str(path),
        published="cmdg",
        listed=tuple(listed),
    )


def _fraction_picks(
    read: DatasetRead, part: str, query: list[Item], gallery: list[Item], where: str
) -> dict[int, tuple[float, float]]:
    """iLIDS-style picks: the fractions that select the listed query and gallery image of each id."""
    groups: dict[int, list[Item]] = {}
    for item in read.manifest.select(part):
        groups.setdefault(item.pid, []).append(item)
    for items in groups.values():
        items.sort(key=lambda it: it.path)
    g_by_pid = {it.pid: it for it in gallery}
    picks = {}
    for q in query:
        items = groups[q.pid]
        g = g_by_pid.get(q.pid)
        if g is None:
            raise DataError(f"{where}: query id {q.pid} has no gallery image")
        i = items.index(q)
        rest = [it for it in items if it is not q]
        j = rest.index(g)
        uq, ug = (i + 0.5) / len(items), (j + 0.5) / len(rest)
        if math.floor(uq * len(items)) != i or math.floor(ug * len(rest)) != j:  # pragma: no cover
            raise DataError(f"{where}: cannot express the picks of id {q.pid} as fractions")
        picks[q.pid] = (uq, ug)
    return picks
