"""MetaBIN's VIPeR split folders in the user's copy: the trials read straight from the images.

MetaBIN's ``make_split.m`` (``bismex/MetaBIN:README.md``), also read by PAT and CMDG, writes::

    viper/split_{1..10}{a,b,c,d}/{train,query,gallery}/p{pid}_c{1|2}_d{angle}.png

``a``: train on half 1, test on half 2, camera 1 -> camera 2; ``b``: the halves swapped; ``c``/``d``:
camera 2 -> camera 1. PAT parses ``pid = int(name.split('_')[0][1:])`` and the camera from ``c#``.

When the folder holding the user's VIPeR (``viper/`` for MetaBIN's layout, the folder above
``viper/VIPeR`` for torchreid's) has ``split_1a``, a leg on VIPeR is evaluated on
``split_1a .. split_Ka`` (K <= the protocol's ``trials``, 10 for Protocol-1): MetaBIN's DG evaluator
averages ``split_1a .. split_10a`` ("ALL_VIPER_only_10"); CMDG's code evaluates ``split_1a`` only
(then keep only that folder). Trial ``n`` is ``split_{n+1}a``: query = the files of its ``query/``
(camera 1), gallery = the files of its ``gallery/`` (camera 2), read directly (never mapped onto
torchreid's ``cam_a``/``cam_b`` files); camid 0 = ``c1``, 1 = ``c2``. They take precedence over the
frozen trials and over CMDG's ``Qwen2_viper.json`` (which lists ``split_1a``). The record's
``data.viper.split_source`` names the folders; ``data.viper.trials`` says how many.

Checked, each failure a one-line :class:`DataError` naming the folder or file: the ``split_Na``
folders are consecutive from ``split_1a`` (split folders without ``split_1a`` are an error, not a
fall-back to the frozen trials); each has ``train/``, ``query/`` and ``gallery/``; every
file name is ``p{pid}_c{1|2}_d{angle}.<png|bmp|jpg>``; the query holds camera 1 and the gallery camera
2, one image per id, the same ids on both sides, none of them a training id; on real data 316 / 316
images per split (MetaBIN's halves of the 632 ids).
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.data.base import DatasetRead
from harness.data.manifest import Item, Manifest
from harness.data.splits.trials import EvalSet
from harness.errors import DataError

DATASET = "viper"
MAX_SPLITS = 10
FIRST = "split_1a"
NAME = re.compile(r"^p(?P<pid>\d+)_c(?P<cam>[12])_d[^/]*\.(?:png|bmp|jpe?g)$", re.IGNORECASE)
NAME_PATTERN = "p{pid}_c{1|2}_d{angle}.png"
SPLIT = re.compile(r"^split_\d+[abcd]$")
ROLES = ("train", "query", "gallery")
CAMERA_SPLITS = ("cam_a", "cam_b")
"""Camera 1 and camera 2 as the VIPeR reader names its splits (camid 0 and 1)."""


def split_folder_root(read: DatasetRead) -> Path | None:
    """The folder holding MetaBIN's ``split_1a`` for this VIPeR copy (its root or the folder above);
    split folders without ``split_1a`` are an error, never a silent fall-back to the frozen trials."""
    if read.manifest.name != DATASET:
        return None
    for folder in (read.found.root, read.found.root.parent):
        if (folder / FIRST).is_dir():
            return folder
        others = sorted(p.name for p in folder.glob("split_*") if p.is_dir() and SPLIT.match(p.name))
        if others:
            raise DataError(
                f"{folder / FIRST}: missing, but {folder / others[0]} is there; MetaBIN's split folders "
                f"run split_1a .. split_{MAX_SPLITS}a (the 'a' splits are the ones evaluated)"
            )
    return None


def parse_name(path: Path) -> tuple[int, int]:
    """``p{pid}_c{1|2}_d{angle}.png`` -> ``(pid, camid)`` with camid 0 for ``c1``, 1 for ``c2``."""
    m = NAME.match(path.name)
    if m is None:
        raise DataError(f"{path}: expected a MetaBIN VIPeR file name {NAME_PATTERN}")
    return int(m.group("pid")), int(m.group("cam")) - 1


def role_items(folder: Path, role: str) -> list[Item]:
    """The images of ``folder/role`` as items (split ``cam_a``/``cam_b`` by their camera)."""
    from harness.data.files import image_files

    base = folder / role
    if not base.is_dir():
        raise DataError(f"{base}: missing; MetaBIN's split folders hold train/, query/ and gallery/")
    items = []
    for path in image_files(base, suffixes=(".png", ".bmp", ".jpg", ".jpeg")):
        pid, camid = parse_name(path)
        items.append(Item(str(path.resolve()), pid, camid, CAMERA_SPLITS[camid], DATASET))
    return items


def _split_names(root: Path) -> list[str]:
    """``split_1a .. split_Ka``: consecutive from 1; a gap before a later one is an error."""
    present = [n for n in range(1, MAX_SPLITS + 1) if (root / f"split_{n}a").is_dir()]
    for i, n in enumerate(present, start=1):
        if n != i:
            raise DataError(
                f"{root / f'split_{i}a'}: missing, but {root / f'split_{n}a'} is there; MetaBIN's split "
                f"folders run split_1a .. split_{MAX_SPLITS}a without gaps"
            )
    return [f"split_{n}a" for n in present]


def _one_per_id(items: list[Item], folder: Path, camid: int) -> dict[int, Item]:
    by_pid: dict[int, Item] = {}
    for item in items:
        if item.camid != camid:
            raise DataError(
                f"{item.path}: camera c{item.camid + 1} in {folder.name}; an 'a' split is "
                f"camera 1 -> camera 2 (query c1, gallery c2)"
            )
        if item.pid in by_pid:
            raise DataError(f"{folder}: id {item.pid} has two images ({Path(item.path).name}); single-shot")
        by_pid[item.pid] = item
    return by_pid


def split_eval_set(folder: Path, trial: int, source: str, check_sizes: bool) -> EvalSet:
    """The query/gallery of one ``split_Na`` folder (see the module docstring for the checks)."""
    train = {it.pid for it in role_items(folder, "train")}
    query = _one_per_id(role_items(folder, "query"), folder / "query", 0)
    gallery = _one_per_id(role_items(folder, "gallery"), folder / "gallery", 1)
    if set(query) != set(gallery):
        pid = min(set(query) ^ set(gallery))
        side = "gallery" if pid in query else "query"
        raise DataError(
            f"{folder}: id {pid} has no image in {side}/; every test id needs one query and one gallery"
        )
    if overlap := sorted(train & set(query)):
        raise DataError(
            f"{folder}: ids {overlap[:5]} are in train/ and in query/; a split's halves are disjoint"
        )
    if check_sizes:
        from harness.data.splits import frozen_splits

        expected = frozen_splits(DATASET).expected or {}
        found = {"query": len(query), "gallery": len(gallery)}
        if expected and found != expected:
            raise DataError(
                f"{folder}: {found['query']} query / {found['gallery']} gallery images; MetaBIN's VIPeR "
                f"splits hold {expected['query']} / {expected['gallery']} (is this the complete dataset?)"
            )
    return EvalSet(
        Manifest([query[p] for p in sorted(query)], name=DATASET),
        Manifest([gallery[p] for p in sorted(gallery)], name=DATASET),
        trial,
        source,
        "metabin",
    )


def folder_eval_sets(read: DatasetRead, trials: int) -> list[EvalSet] | None:
    """The trials from the user's MetaBIN split folders (at most ``trials``), or None without them."""
    root = split_folder_root(read)
    if root is None:
        return None
    names = _split_names(root)[:trials]
    source = f"MetaBIN split folders {root}/{names[0]}" + (f"..{names[-1]}" if len(names) > 1 else "")
    return [split_eval_set(root / name, n, source, not read.synthetic) for n, name in enumerate(names)]
