"""``harness data check``: what is on disk for each dataset, against what its reader expects.

For every registered dataset (or the named ones): found or missing, the layout variant matched, the
counts per split against the canonical ones, and problems with the exact path (a reader's
:class:`DataError`, a count mismatch, caption entries that match no image, small-target trials
that do not resolve against the disk).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from harness.data.base import CountCheck
from harness.data.captions import CAPTION_SOURCES, with_captions
from harness.data.registry import DATASETS, get_reader
from harness.errors import DataError

SMALL_TARGET_SPLITS = {"prid2011": "prid2011", "grid": "grid", "viper": "viper", "ilids": "ilids"}


@dataclass
class DatasetStatus:
    """The outcome of checking one dataset."""

    name: str
    title: str
    named: bool
    status: str = "missing"  # "missing", "found", "broken"
    layout: str = ""
    root: str = ""
    synthetic: bool = False
    withdrawn: bool = False
    checks: list[CountCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    captions: dict | None = None
    trials: int | None = None

    @property
    def counts_ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failed(self, strict: bool) -> bool:
        """Whether this dataset makes ``data check`` exit non-zero."""
        if self.status == "missing":
            return self.named
        if self.status == "broken":
            return strict or self.named
        return strict and (bool(self.problems) or not self.counts_ok)


def check_dataset(name: str, data_root: Path, *, named: bool = False) -> DatasetStatus:
    """Locate, parse and validate one dataset; never raises for data problems."""
    reader = get_reader(name)
    status = DatasetStatus(reader.name, reader.title, named, withdrawn=reader.withdrawn)
    try:
        found = reader.locate(data_root)
    except DataError as exc:
        status.problems.append(str(exc))
        return status
    status.layout, status.root = found.layout.variant, str(found.root)
    status.synthetic = found.synthetic is not None
    base_log = logging.getLogger("harness.data.base")
    previous = base_log.level
    base_log.setLevel(logging.ERROR)  # the table below shows the mismatch; no duplicate warning
    try:
        read = reader.read(data_root, strict=False)
        for source in CAPTION_SOURCES:  # every caption source's files, matched against the images
            read = with_captions(read, source)
    except DataError as exc:
        status.status = "broken"
        status.problems.append(str(exc))
        return status
    finally:
        base_log.setLevel(previous)
    status.status = "found"
    status.checks = read.checks
    status.captions = read.captions
    for check in read.checks:
        if not check.ok:
            status.problems.append(
                f"{found.root}: split '{check.split}' counts differ from the expected ones"
            )
    if read.captions and read.captions["unmatched"]:
        status.problems.append(
            f"{read.captions['path']}: {read.captions['unmatched']} caption entries match no image"
        )
    if reader.name in SMALL_TARGET_SPLITS:
        from harness.data.splits.folders import MAX_SPLITS, folder_eval_sets
        from harness.data.splits.trials import split_set_for, trial_test_set

        try:
            folders = folder_eval_sets(read, MAX_SPLITS)  # MetaBIN's VIPeR split folders, when there
            if folders is not None:
                status.trials = len(folders)
            else:
                split_set = split_set_for(read, SMALL_TARGET_SPLITS[reader.name])
                for i in range(len(split_set.trials)):
                    trial_test_set(read, split_set, i)
                status.trials = len(split_set.trials)
        except DataError as exc:
            status.problems.append(str(exc))
    return status


def check_datasets(data_root: Path, names: list[str] | None = None) -> list[DatasetStatus]:
    """Check the named datasets (aliases allowed), or every registered one."""
    if names:
        chosen = list(dict.fromkeys(DATASETS.canonical(n) for n in names))
        return [check_dataset(n, data_root, named=True) for n in chosen]
    return [check_dataset(n, data_root) for n in DATASETS.names()]
