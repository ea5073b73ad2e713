"""GRID (Loy et al., "Multi-camera activity correlation analysis", CVPR 2009; the QMUL underground
re-id set).

Canonical counts (torchreid ``grid.py`` docstring): 250 paired ids, 1,275 images, 8 cameras:
``probe`` 250 images (250 ids), ``gallery`` 1,025 images (250 paired + 775 unpaired distractors
with pid 0000, so 251 "ids"); the split sizes are derived from those totals.

Layouts::

    <root>/grid/underground_reid/{probe,gallery}/0001_1_25004_107_32_106_221.jpeg  (torchreid)
    <root>/GRID/{probe,gallery}/...                                                (MetaBIN, PAT)
    <root>/underground_reid/{probe,gallery}/...                                    (CLIP-FGDI)

Names: pid = ``int(name.split('_')[0])`` (``0000`` = unpaired distractor), camera =
``int(name.split('_')[1])`` (1-8). Conventions: splits are the on-disk folders ``probe`` and
``gallery``; camid 0-based; pid 0 is a gallery distractor, never a training identity. Trials come
from ``harness/data/splits/grid.json``: query = probe images of the 125 test ids, gallery = every
gallery-folder image whose id is not a training id (125 true + 775 distractors = 900). The
official partition is ``trainIdxAll`` in ``features_and_partitions.mat``: when the user's copy has
that file next to ``probe/`` (as the original download does), its 10 trials are used instead of
the shipped file (:meth:`GRID.official_splits`); the record's ``data.split_source`` says which.
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_camera, check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

NUM_CAMS = 8
_REQUIRED = ("probe", "gallery")


class GRID(DatasetReader):
    name: ClassVar[str] = "grid"
    title: ClassVar[str] = "GRID"
    reference: ClassVar[str] = "Loy et al., Multi-camera activity correlation analysis, CVPR 2009"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "grid/underground_reid", _REQUIRED),
        Layout("metabin", "GRID", _REQUIRED),
        Layout("clip-fgdi", "underground_reid", _REQUIRED),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "probe": SplitCounts(250, 250),
        "gallery": SplitCounts(251, 1025),
    }
    splits: ClassVar[tuple[str, ...]] = ("probe", "gallery")
    train_excluded_pids: ClassVar[frozenset[int]] = frozenset({0})
    partition_file: ClassVar[str] = "features_and_partitions.mat"

    def official_splits(self, found: FoundDataset):
        """The 10 official trials from ``features_and_partitions.mat`` next to ``probe/``, if present."""
        import dataclasses

        from harness.data.splits.generate import grid_split_set_from_mat

        path = found.root / self.partition_file
        if not path.is_file():
            return None
        return dataclasses.replace(grid_split_set_from_mat(path), origin=str(path))

    def parse(self, found: FoundDataset) -> Manifest:
        items = []
        for folder in ("probe", "gallery"):
            for path in image_files(found.root / folder, suffixes=(".jpeg", ".jpg")):
                fields = path.name.split("_")
                if len(fields) < 3 or not (fields[0].isdigit() and fields[1].isdigit()):
                    raise DataError(
                        f"{path}: file name does not match the GRID pattern '<pid:04d>_<cam>_...jpeg'"
                    )
                pid = int(fields[0])
                if pid == 0 and folder == "probe":
                    raise DataError(f"{path}: distractor pid 0000 may only appear in gallery/")
                camid = check_camera(int(fields[1]), NUM_CAMS, path)
                items.append(Item(str(path.resolve()), pid, camid, folder, self.name))
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
