"""The canonical manifest every dataset reader produces.

One :class:`Item` per image: its path, person id, camera id, split, dataset and captions. The
conventions, shared by all readers:

* ``pid`` is the dataset's own integer id after the reader's documented offsets (for example MSMT17
  query/gallery ids are offset by the number of training ids so that splits never collide).
  Junk images (Market-1501 pid -1) are dropped by the reader; distractors (Market-1501 pid 0) are
  kept in the gallery with their original id.
* ``camid`` is 0-based.
* ``split`` is one of the reader's split names (``train``, ``query``, ``gallery``, ...).
* ``path`` is absolute, so a manifest can be used from any working directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

MAX_PID = 2**53  # ids are int64 in arrays and exact integers in JSON records


@dataclass(frozen=True, slots=True)
class Item:
    """One image of a dataset."""

    path: str
    pid: int
    camid: int
    split: str
    dataset: str
    captions: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Reader-specific string fields (e.g. region captions), as sorted ``(key, value)`` pairs."""


class Manifest(Sequence[Item]):
    """An ordered list of :class:`Item` with array views and a content fingerprint."""

    def __init__(self, items: Iterable[Item], *, name: str = "") -> None:
        self._items: list[Item] = list(items)
        self.name = name
        for it in self._items:  # ids become int64 arrays: refuse what they cannot hold, naming the file
            if not -MAX_PID <= it.pid <= MAX_PID:
                from harness.errors import DataError
                from harness.safepaths import display

                raise DataError(f"{display(it.path)}: person id {str(it.pid)[:40]} is outside -2**53..2**53")

    # Sequence protocol
    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return Manifest(self._items[index], name=self.name)
        return self._items[index]

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Manifest(name={self.name!r}, items={len(self)}, ids={self.num_ids})"

    # views
    @property
    def pids(self) -> np.ndarray:
        return np.fromiter((it.pid for it in self._items), dtype=np.int64, count=len(self._items))

    @property
    def camids(self) -> np.ndarray:
        return np.fromiter((it.camid for it in self._items), dtype=np.int64, count=len(self._items))

    @property
    def paths(self) -> list[str]:
        return [it.path for it in self._items]

    @property
    def num_ids(self) -> int:
        return len({it.pid for it in self._items})

    @property
    def num_cams(self) -> int:
        return len({it.camid for it in self._items})

    def splits(self) -> list[str]:
        """Split names in first-seen order."""
        return list(dict.fromkeys(it.split for it in self._items))

    def select(self, *splits: str) -> Manifest:
        """The items of the given splits, in manifest order."""
        wanted = set(splits)
        return Manifest((it for it in self._items if it.split in wanted), name=self.name)

    def __add__(self, other: Manifest) -> Manifest:
        return Manifest([*self._items, *other._items], name=self.name or other.name)

    def fingerprint(self) -> str:
        """sha256 over (path, pid, camid, split, dataset) of every item, in order."""
        digest = hashlib.sha256()
        for it in self._items:
            line = f"{it.path}\0{it.pid}\0{it.camid}\0{it.split}\0{it.dataset}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def to_frame(self):
        """A pandas DataFrame with one row per item (captions joined by ``" || "``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "path": self.paths,
                "pid": self.pids,
                "camid": self.camids,
                "split": [it.split for it in self._items],
                "dataset": [it.dataset for it in self._items],
                "captions": [" || ".join(it.captions) for it in self._items],
            }
        )
