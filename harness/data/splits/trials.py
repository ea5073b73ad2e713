"""The trials of a split set on a dataset read: each trial's query and gallery manifests.

A split file (:mod:`harness.data.splits`) names identities, never paths; :func:`trial_test_set`
resolves one trial against the images on disk, checking that every id it names is there and naming
the split file, trial and id when one is not. The split set of a dataset comes from the synthetic
world's marker, the user's copy of a published split file, the dataset's own partition file (GRID), or the
harness's frozen file
(:func:`split_set_for`). Protocols turn these into a leg's eval sets
(:func:`harness.protocols.trials.leg_eval_sets`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from harness.data.base import DatasetRead
from harness.data.manifest import Item, Manifest
from harness.data.splits import SplitSet, Trial, frozen_splits, split_set_from_dict
from harness.errors import DataError


@dataclass(frozen=True)
class EvalSet:
    """One query/gallery pair to evaluate (``trial`` is None for a leg without trials)."""

    query: Manifest
    gallery: Manifest
    trial: int | None = None
    source: str = ""
    """Where the trial's split came from (split file, partition file or synthetic marker)."""
    published: str | None = None
    """Whose published splits from the user's copy the trial is (``metabin``, ``cmdg``), else None
    (the harness's own: shipped frozen trials, the dataset's partition file, the synthetic world's)."""


def split_set_for(read: DatasetRead, name: str) -> SplitSet:
    """The split set ``name`` for this dataset: a published split file in the user's copy
    (:mod:`harness.data.splits.published`), else the synthetic marker's, the dataset's official
    partition file (GRID), or the shipped frozen file."""
    from harness.data.splits.published import find_published

    published = find_published(read)
    if published is not None:
        _check_listed(read, published)
        return published
    if read.synthetic:
        recorded = read.found.synthetic["datasets"][read.manifest.name].get("splits")
        if recorded is None:
            raise DataError(
                f"synthetic world at {read.found.data_root}: dataset {read.manifest.name!r} recorded no "
                f"split set; regenerate it with `harness data synth`"
            )
        return split_set_from_dict(recorded, f"{read.found.data_root} (synthetic marker, {name})")
    from harness.data.registry import get_reader

    official = get_reader(read.manifest.name).official_splits(read.found)
    return official if official is not None else frozen_splits(name)


def _check_listed(read: DatasetRead, split_set: SplitSet) -> None:
    """The trials built from a published file's ids must be the images the file lists."""
    from pathlib import Path

    for n, (query, gallery) in enumerate(split_set.listed):
        built = trial_test_set(read, split_set, n)
        for role, mine, theirs in (("query", built.query, query), ("gallery", built.gallery, gallery)):
            differ = sorted(theirs ^ {it.path for it in mine})
            if differ:
                raise DataError(
                    f"{split_set.origin} split {n}: its {role} differs from the harness's rule for "
                    f"{read.manifest.name} at {Path(differ[0]).name} ({len(differ)} image(s) differ)"
                )


def _by_pid(manifest: Manifest, part: str) -> dict[int, list[Item]]:
    groups: dict[int, list[Item]] = defaultdict(list)
    for item in manifest.select(part):
        groups[item.pid].append(item)
    for items in groups.values():
        items.sort(key=lambda it: it.path)
    return groups


def trial_test_set(read: DatasetRead, split_set: SplitSet, index: int) -> EvalSet:
    """Query and gallery of trial ``index``; raises :class:`DataError` naming the split file and id."""
    trial: Trial = split_set.trials[index]
    where = f"{split_set.origin} trial {index}"
    root = read.found.root
    for part in {split_set.query.part, split_set.gallery.part}:
        if part not in read.manifest.splits():
            raise DataError(f"{where}: {read.manifest.name} at {root} has no '{part}' images")
    q_groups = _by_pid(read.manifest, split_set.query.part)
    g_groups = _by_pid(read.manifest, split_set.gallery.part)
    known = set(q_groups) | set(g_groups)
    unknown = sorted(set(trial.train_ids) - known)
    if unknown:
        raise DataError(f"{where}: training ids {unknown[:5]} are not in {read.manifest.name} at {root}")
    query: list[Item] = []
    gallery: list[Item] = []
    same_part = split_set.query.part == split_set.gallery.part
    for pid in trial.test_ids:
        q_items, g_items = q_groups.get(pid, []), g_groups.get(pid, [])
        if split_set.pick == "fraction":
            if len(q_items) < 2:
                raise DataError(
                    f"{where}: test id {pid} has {len(q_items)} image(s) in '{split_set.query.part}' "
                    f"at {root}; expected at least 2 (one query, one gallery)"
                )
            uq, ug = trial.picks[pid]
            chosen = q_items[math.floor(uq * len(q_items))]
            rest = [it for it in q_items if it is not chosen]
            query.append(chosen)
            gallery.append(rest[math.floor(ug * len(rest))])
            continue
        if len(q_items) != 1:
            raise DataError(
                f"{where}: test id {pid} has {len(q_items)} image(s) in '{split_set.query.part}' at "
                f"{root}; single-shot expects exactly 1"
            )
        if not g_items or (same_part and len(g_items) < 2):
            raise DataError(
                f"{where}: test id {pid} has no image in '{split_set.gallery.part}' at {root}; "
                "its query would have no true match"
            )
        query.append(q_items[0])
    if split_set.pick == "single":
        excluded = set(trial.train_ids)
        wanted = set(trial.test_ids)
        taken = {it.path for it in query}
        for pid, items in sorted(g_groups.items()):
            keep = pid in wanted if split_set.gallery.ids == "test" else pid not in excluded
            if keep:
                gallery.extend(it for it in items if it.path not in taken)
    test = EvalSet(
        Manifest(query, name=read.manifest.name),
        Manifest(gallery, name=read.manifest.name),
        index,
        split_set.origin or split_set.source,
        split_set.published,
    )
    if split_set.expected is not None and not read.synthetic:
        found = {"query": len(test.query), "gallery": len(test.gallery)}
        if found != split_set.expected:
            raise DataError(
                f"{where}: on {read.manifest.name} at {root} the trial has {found['query']} query / "
                f"{found['gallery']} gallery images; the split file expects {split_set.expected['query']} / "
                f"{split_set.expected['gallery']} (is this the complete, original dataset?)"
            )
    return test
