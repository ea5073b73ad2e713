"""Test sets of a leg: plain query/gallery parts, or the frozen single-shot trials of a small target.

A leg whose ``test.splits`` names a split set (``prid2011``, ``grid``, ``viper``, ``ilids``) is
evaluated once per trial: each trial's query and gallery are built from the dataset's manifest by
the split set's rules (:mod:`harness.data.splits.trials`), after checking that every id the split file
names is on disk. On real data the split set is the shipped file; on a synthetic world it is the
set the world recorded in its marker (same format, same code path). A user's copy of a published
split replaces them: a split file (:mod:`harness.data.splits.published`) or MetaBIN's VIPeR
``split_Na`` image folders (:mod:`harness.data.splits.folders`, read as they are).

Aggregation (:func:`harness.metrics.trials.mean_std`): the mean of every metric over the trials, the standard
deviation with ``ddof=0`` (numpy's default, ⚠ UNVERIFIED to match MetaBIN's ``np.std``), and the
per-trial values.
"""

from __future__ import annotations

from harness.data.base import DatasetRead
from harness.data.splits.folders import folder_eval_sets
from harness.data.splits.trials import EvalSet, split_set_for, trial_test_set
from harness.errors import ProtocolError


def leg_eval_sets(
    read: DatasetRead, *, query: str, gallery: str, splits: str | None, trials: int
) -> list[EvalSet]:
    """Every test set of a leg: ``trials`` trials of split set ``splits``, or the plain parts."""
    if splits is None:
        q, g = read.manifest.select(query), read.manifest.select(gallery)
        for part, manifest in ((query, q), (gallery, g)):
            if len(manifest) == 0:
                raise ProtocolError(f"{read.manifest.name} at {read.found.root} has no '{part}' images")
        return [EvalSet(q, g)]
    if (folders := folder_eval_sets(read, trials)) is not None:  # MetaBIN's VIPeR split_Na folders
        return folders
    split_set = split_set_for(read, splits)
    if split_set.published:
        trials = min(trials, len(split_set.trials))
    if trials > len(split_set.trials):
        raise ProtocolError(
            f"the protocol asks for {trials} trials but {split_set.origin} holds {len(split_set.trials)}"
        )
    return [trial_test_set(read, split_set, i) for i in range(trials)]
