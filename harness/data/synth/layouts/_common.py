"""Shared bookkeeping for the layout writers: render an image and count it in its split."""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.draw import write_image


class SplitCounter:
    """Writes images and counts distinct ids and images per split (what the reader must find)."""

    def __init__(self, seed: int, dataset: str, splits: tuple[str, ...]) -> None:
        self.seed = seed
        self.dataset = dataset
        self._ids: dict[str, set[int]] = {s: set() for s in splits}
        self._images: dict[str, int] = dict.fromkeys(splits, 0)

    def write(
        self, path: Path, split: str | None, pid: int, camid: int, index: int, *, count_pid: int | None = None
    ):
        """Render ``pid`` seen by ``camid`` at ``path``; ``split=None`` writes a file the reader drops."""
        image = write_image(path, seed=self.seed, dataset=self.dataset, pid=pid, camid=camid, index=index)
        if split is not None:
            self._ids[split].add(pid if count_pid is None else count_pid)
            self._images[split] += 1
        return image

    def counts(self) -> dict[str, dict[str, int]]:
        return {s: {"ids": len(self._ids[s]), "images": self._images[s]} for s in self._images}
