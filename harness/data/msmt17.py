"""MSMT17 V1 and V2 (Wei et al., "Person Transfer GAN to Bridge Domain Gap for Person
Re-Identification", CVPR 2018).

Canonical counts (torchreid ``msmt17.py`` docstring; ReText seed 001 Table 1): 4,101 ids,
126,441 images, 15 cameras. ``list_train`` + ``list_val``: 1,041 ids / 32,621 images;
query 3,060 ids / 11,659 images; gallery 3,060 ids / 82,161 images. The train/val division
(about 30,248 / 2,373 images) and the 1,041 / 3,060 id split are ⚠ UNVERIFIED (implied by class
counts, not re-counted), so the train and val splits are checked only through their union
``train+val``.

Layouts (V1 folders ``train/`` ``test/``; V2, faces blurred, ``mask_train_v2/`` ``mask_test_v2/``)::

    <root>/msmt17/MSMT17_V1/{train,test,list_{train,val,query,gallery}.txt}   (torchreid)
    <root>/MSMT17_V1/...                                                      (fast-reid, CMDG)
    <root>/MSMT17/...  <root>/MSMT17_V2/...  <root>/msmt17/MSMT17_V2/...  <root>/msmt17v2/...
                                                                              (PAT, META, ACL)

List lines are ``<relative/path.jpg> <pid>``; train/val paths are relative to the train folder,
query/gallery paths to the test folder. camid = ``int(basename.split('_')[2]) - 1`` (cameras 1-15).

Conventions: splits ``train`` (list_train), ``val`` (list_val), ``query``, ``gallery``. The list
pids of query/gallery restart at 0, so they are offset by ``max(train/val pid) + 1`` (1,041 on the
real data): train and test identities never collide, exactly as fast-reid/CMDG/PAT do. No junk.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_camera, check_unique, contained, read_list_file
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

_LISTS = {
    "train": "list_train.txt",
    "val": "list_val.txt",
    "query": "list_query.txt",
    "gallery": "list_gallery.txt",
}
_V1 = ("train", "test", *_LISTS.values())
_V2 = ("mask_train_v2", "mask_test_v2", *_LISTS.values())
NUM_CAMS = 15


def _layouts() -> tuple[Layout, ...]:
    out = []
    for version, required, folders in (
        ("V1", _V1, ("msmt17/MSMT17_V1", "MSMT17_V1", "MSMT17")),
        ("V2", _V2, ("msmt17/MSMT17_V2", "MSMT17_V2", "MSMT17", "msmt17v2")),
    ):
        for folder in folders:
            out.append(Layout(f"{version} ({folder})", folder, required))
    return tuple(out)


def parse_msmt_list(
    list_path: Path, image_dir: Path, *, split: str, dataset: str, offset: int = 0
) -> list[Item]:
    """Items of one MSMT17 list file; every named file must exist and its name must carry a camera."""
    items = []
    for lineno, line in read_list_file(list_path):
        parts = line.split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise DataError(f"{list_path}:{lineno}: expected '<relative/path.jpg> <pid>', found {line!r}")
        rel, pid = parts[0], int(parts[1])
        path = contained(image_dir, rel, where=f"{list_path}:{lineno}")
        fields = Path(rel).name.split("_")
        if len(fields) < 3 or not fields[2].isdigit():
            raise DataError(
                f"{list_path}:{lineno}: file name {Path(rel).name!r} does not match the MSMT17 pattern "
                "'<pid>_<idx>_<cam>_<date>...jpg'"
            )
        if not path.is_file():
            raise DataError(f"{list_path}:{lineno}: lists {rel!r} but {path} does not exist")
        camid = check_camera(int(fields[2]), NUM_CAMS, path)
        items.append(Item(str(path.resolve()), pid + offset, camid, split, dataset))
    if not items:
        raise DataError(f"{list_path}: empty split '{split}', expected at least one '<path> <pid>' line")
    return items


class MSMT17(DatasetReader):
    name: ClassVar[str] = "msmt17"
    title: ClassVar[str] = "MSMT17"
    reference: ClassVar[str] = (
        "Wei et al., Person Transfer GAN to Bridge Domain Gap for Person Re-ID, CVPR 2018"
    )
    layouts: ClassVar[tuple[Layout, ...]] = _layouts()
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train+val": SplitCounts(1041, 32621),
        "query": SplitCounts(3060, 11659),
        "gallery": SplitCounts(3060, 82161),
    }
    splits: ClassVar[tuple[str, ...]] = ("train", "val", "query", "gallery")

    def parse(self, found: FoundDataset) -> Manifest:
        v1 = found.layout.variant.startswith("V1")
        train_dir = found.root / ("train" if v1 else "mask_train_v2")
        test_dir = found.root / ("test" if v1 else "mask_test_v2")
        items = parse_msmt_list(found.root / _LISTS["train"], train_dir, split="train", dataset=self.name)
        items += parse_msmt_list(found.root / _LISTS["val"], train_dir, split="val", dataset=self.name)
        offset = max(it.pid for it in items) + 1
        for split in ("query", "gallery"):
            items += parse_msmt_list(
                found.root / _LISTS[split], test_dir, split=split, dataset=self.name, offset=offset
            )
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
