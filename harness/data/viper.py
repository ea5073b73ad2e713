"""VIPeR (Gray and Tao, "Viewpoint Invariant Pedestrian Recognition with an Ensemble of Localized
Features", ECCV 2008).

Canonical counts (torchreid ``viper.py`` docstring): 632 ids, one image per id in each of two
cameras (1,264 images).

Layouts::

    <root>/viper/VIPeR/{cam_a,cam_b}/*.bmp   (torchreid)
    <root>/VIPeR/{cam_a,cam_b}/*.bmp
    <root>/viper/{cam_a,cam_b}/*.bmp
    <root>/viper/split_1a/{train,query,gallery}/p{pid}_c{1|2}_d{angle}.png   (MetaBIN, PAT, CMDG)

MetaBIN's split folders ``viper/split_{1..10}{a,b,c,d}`` (its ``make_split.m``): when they are there
(beside ``VIPeR/`` or alone), a leg on VIPeR is evaluated on ``split_1a .. split_10a``, MetaBIN's
convention, read straight from their ``query/`` and ``gallery/`` images
(:mod:`harness.data.splits.folders`); the record's ``data.viper.split_source`` names them. A copy
with only the split folders (layout ``metabin``) is read from ``split_1a``: its ``c1`` images are
``cam_a``, its ``c2`` images ``cam_b``, pid = the ``p{pid}`` number (PAT's parsing).

Conventions (torchreid): images of each camera are sorted by file name and paired by position, so
pid = the 0-based position (0..631) and both cameras must hold the same number of images; camid 0 =
cam_a, 1 = cam_b. Trials (``harness/data/splits/viper.json``): query = cam_a images of the 316 test
ids, gallery = their cam_b images (the ``a`` direction, as MetaBIN's ``split_Na``).
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

_REQUIRED = ("cam_a", "cam_b")


class VIPeR(DatasetReader):
    name: ClassVar[str] = "viper"
    title: ClassVar[str] = "VIPeR"
    reference: ClassVar[str] = "Gray and Tao, Viewpoint Invariant Pedestrian Recognition, ECCV 2008"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "viper/VIPeR", _REQUIRED),
        Layout("upper-case", "VIPeR", _REQUIRED),
        Layout("flat", "viper", _REQUIRED),
        Layout("metabin", "viper", ("split_1a",), fallback=True),  # beside cam_a/cam_b: trials only
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "cam_a": SplitCounts(632, 632),
        "cam_b": SplitCounts(632, 632),
    }
    splits: ClassVar[tuple[str, ...]] = ("cam_a", "cam_b")

    def parse(self, found: FoundDataset) -> Manifest:
        if found.layout.variant == "metabin":
            return self._parse_split_folder(found)
        cams = {cam: image_files(found.root / cam, suffixes=(".bmp", ".png", ".jpg")) for cam in _REQUIRED}
        if len(cams["cam_a"]) != len(cams["cam_b"]):
            raise DataError(
                f"{found.root}: cam_a has {len(cams['cam_a'])} images and cam_b {len(cams['cam_b'])}; "
                "VIPeR pairs them by sorted position, so the counts must be equal"
            )
        items = [
            Item(str(path.resolve()), pid, camid, cam, self.name)
            for camid, cam in enumerate(_REQUIRED)
            for pid, path in enumerate(cams[cam])
        ]
        check_unique(items, found.root)
        return Manifest(items, name=self.name)

    def _parse_split_folder(self, found: FoundDataset) -> Manifest:
        """Every image of ``split_1a`` (train, query, gallery: both cameras of all 632 ids), once."""
        from harness.data.splits.folders import FIRST, role_items

        folder = found.root / FIRST
        items: dict[tuple[int, int], Item] = {}
        for role in ("train", "query", "gallery"):
            for item in role_items(folder, role):
                if (item.pid, item.camid) in items:
                    raise DataError(
                        f"{item.path}: id {item.pid} camera c{item.camid + 1} is also "
                        f"{items[item.pid, item.camid].path}; {FIRST} holds one image per id and camera"
                    )
                items[item.pid, item.camid] = item
        manifest = [items[k] for k in sorted(items, key=lambda k: (k[1], k[0]))]
        check_unique(manifest, found.root)
        return Manifest(manifest, name=self.name)
