"""VIPeR (Gray and Tao, "Viewpoint Invariant Pedestrian Recognition with an Ensemble of Localized
Features", ECCV 2008).

Canonical counts (torchreid ``viper.py`` docstring): 632 ids, one image per id in each of two
cameras (1,264 images).

Layouts::

    <root>/viper/VIPeR/{cam_a,cam_b}/*.bmp   (torchreid)
    <root>/VIPeR/{cam_a,cam_b}/*.bmp
    <root>/viper/{cam_a,cam_b}/*.bmp

The MetaBIN pre-split folders ``viper/split_{1..10}{a,b,c,d}`` are not read (they fix MetaBIN's own
splits; the harness uses its frozen splits over the raw cameras).

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
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "cam_a": SplitCounts(632, 632),
        "cam_b": SplitCounts(632, 632),
    }
    splits: ClassVar[tuple[str, ...]] = ("cam_a", "cam_b")

    def parse(self, found: FoundDataset) -> Manifest:
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
