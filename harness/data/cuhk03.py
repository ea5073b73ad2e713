"""CUHK03-NP, labeled and detected (Li et al., "DeepReID", CVPR 2014; new protocol of Zhong et al.,
"Re-ranking Person Re-identification with k-reciprocal Encoding", CVPR 2017).

Canonical counts (``zhunzhong07/person-re-ranking:CUHK03-NP/README.md``): 767 train ids / 700 test
ids, 2 cameras. Labeled: train 7,368 / query 1,400 / gallery 5,328 images. Detected: 7,365 / 1,400
/ 5,332. Query = one image per camera per test id (1,400 = 700 x 2).

Two routes are accepted:

* **Market-style NP folders** (the person-re-ranking download; QAConv)::

      <root>/cuhk03-np/{labeled,detected}/{bounding_box_train,query,bounding_box_test}/0001_c1_1.png
      <root>/CUHK03-NP/...   <root>/cuhk03/cuhk03-np/...   <root>/cuhk03_np/...

  names ``<pid>_c<cam>_<k>.png`` (cameras 1-2).

* **Extracted images + new-protocol ``.mat``** (torchreid, META, PAT)::

      <root>/cuhk03/images_{labeled,detected}/{pair}_{pid:03d}_{view}_{img:02d}.png
      <root>/cuhk03/cuhk03_new_protocol_config_{labeled,detected}.mat

  The ``.mat`` (a MATLAB v5 file read with scipy) holds ``filelist``, ``labels``, ``camId`` and the
  1-based ``train_idx``, ``query_idx``, ``gallery_idx``; pid = ``labels``, camid = ``camId - 1``.
  The raw ``cuhk03_release/cuhk-03.mat`` is an HDF5 file whose images must first be extracted to
  ``images_*`` (torchreid does this); h5py is not a dependency, so that extraction step is not done
  here: the reader names the missing folder instead.

Conventions: splits ``train``, ``query``, ``gallery``. Test (query/gallery) pids are offset by
``max(train pid) + 1`` so train and test identities never collide when merged (CMDG adds 767 the
same way; ⚠ UNVERIFIED whether the NP download already numbers them disjointly -- the offset is
harmless either way). Same-camera true matches are junk at evaluation (the protocol's
``same-camera`` rule). No junk files are dropped at load time.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique
from harness.data.manifest import Item, Manifest
from harness.data.market1501 import read_market_folders
from harness.errors import DataError

_NP_REQUIRED = ("bounding_box_train", "query", "bounding_box_test")
_NP_FOLDERS = ("cuhk03-np", "CUHK03-NP", "cuhk03/cuhk03-np", "cuhk03_np")


def offset_test_pids(manifest: Manifest) -> Manifest:
    """Shift query/gallery pids by ``max(train pid) + 1`` (the documented CUHK03-NP convention)."""
    train = manifest.select("train")
    offset = int(train.pids.max()) + 1 if len(train) else 0
    return Manifest(
        (
            it if it.split == "train" else Item(it.path, it.pid + offset, it.camid, it.split, it.dataset)
            for it in manifest
        ),
        name=manifest.name,
    )


def _as_strings(values) -> list[str]:
    import numpy as np

    out = []
    for v in np.asarray(values, dtype=object).ravel():
        while isinstance(v, np.ndarray) and v.size == 1 and v.dtype == object:
            v = v.ravel()[0]
        out.append(str(v.ravel()[0]) if isinstance(v, np.ndarray) else str(v))
    return out


def read_new_protocol_mat(mat_path: Path, image_dir: Path, *, dataset: str) -> Manifest:
    """Parse torchreid's extracted images with a new-protocol ``.mat`` into train/query/gallery."""
    from harness.data.matfile import load_mat

    mat = load_mat(mat_path, what="the CUHK03 new-protocol .mat")
    missing = [
        k for k in ("filelist", "labels", "camId", "train_idx", "query_idx", "gallery_idx") if k not in mat
    ]
    if missing:
        raise DataError(f"{mat_path}: missing field(s) {', '.join(missing)} of the CUHK03 new protocol")
    names = _as_strings(mat["filelist"])
    labels = [int(x) for x in mat["labels"].ravel()]
    cams = [int(x) for x in mat["camId"].ravel()]
    if not len(names) == len(labels) == len(cams):
        raise DataError(
            f"{mat_path}: filelist/labels/camId lengths differ ({len(names)}/{len(labels)}/{len(cams)})"
        )
    items = []
    for split in ("train", "query", "gallery"):
        for idx in (int(x) for x in mat[f"{split}_idx"].ravel()):
            if not 1 <= idx <= len(names):
                raise DataError(f"{mat_path}: {split}_idx {idx} is outside 1..{len(names)} (1-based)")
            name, pid, cam = names[idx - 1], labels[idx - 1], cams[idx - 1]
            path = image_dir / name
            if not path.is_file():
                raise DataError(f"{mat_path}: {split}_idx {idx} names {name!r} but {path} does not exist")
            if cam not in (1, 2):
                raise DataError(f"{mat_path}: camId {cam} of {name!r} is out of range 1..2")
            items.append(Item(str(path.resolve()), pid, cam - 1, split, dataset))
    for split in ("train", "query", "gallery"):
        if not any(it.split == split for it in items):
            raise DataError(f"{mat_path}: empty split '{split}' ({split}_idx is empty)")
    check_unique(items, mat_path)
    return Manifest(items, name=dataset)


class _CUHK03NP(DatasetReader):
    mode: ClassVar[str]
    num_cams: ClassVar[int] = 2

    @classmethod
    def _layouts(cls, mode: str) -> tuple[Layout, ...]:
        np_layouts = tuple(
            Layout(f"np-folders ({f}/{mode})", f"{f}/{mode}", _NP_REQUIRED) for f in _NP_FOLDERS
        )
        mat = f"cuhk03_new_protocol_config_{mode}.mat"
        return (*np_layouts, Layout("extracted+mat (torchreid)", "cuhk03", (f"images_{mode}", mat)))

    def parse(self, found: FoundDataset) -> Manifest:
        if found.layout.variant.startswith("extracted"):
            manifest = read_new_protocol_mat(
                found.root / f"cuhk03_new_protocol_config_{self.mode}.mat",
                found.root / f"images_{self.mode}",
                dataset=self.name,
            )
        else:
            manifest = read_market_folders(
                found.root, dataset=self.name, num_cams=self.num_cams, distractor_pid=None
            )
        return offset_test_pids(manifest)


class CUHK03NPLabeled(_CUHK03NP):
    name: ClassVar[str] = "cuhk03-np-labeled"
    title: ClassVar[str] = "CUHK03-NP (labeled)"
    reference: ClassVar[str] = (
        "Li et al., DeepReID, CVPR 2014; Zhong et al., k-reciprocal re-ranking, CVPR 2017"
    )
    mode: ClassVar[str] = "labeled"
    layouts: ClassVar[tuple[Layout, ...]] = _CUHK03NP._layouts("labeled")
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(767, 7368),
        "query": SplitCounts(700, 1400),
        "gallery": SplitCounts(700, 5328),
    }


class CUHK03NPDetected(_CUHK03NP):
    name: ClassVar[str] = "cuhk03-np-detected"
    title: ClassVar[str] = "CUHK03-NP (detected)"
    reference: ClassVar[str] = CUHK03NPLabeled.reference
    mode: ClassVar[str] = "detected"
    layouts: ClassVar[tuple[Layout, ...]] = _CUHK03NP._layouts("detected")
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(767, 7365),
        "query": SplitCounts(700, 1400),
        "gallery": SplitCounts(700, 5332),
    }
