"""Caption enrichment: an explicit step that attaches one source's captions to a dataset read.

A dataset reader gives the dataset's own captions only (the PEDES-style text datasets ship them).
Captions that a *method* brings for image datasets (CMDG's Qwen2.5-VL files) are attached by the
caller that wants them, by name: a protocol that declares ``captions: cmdg``
(:class:`harness.protocols.ProtocolSpec`), or ``harness data check``, which reports how every
source's files match the images on disk.

Adding a source: one module with ``attach(read) -> DatasetRead`` and one line in
:data:`CAPTION_SOURCES`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.data.base import DatasetRead

CAPTION_SOURCES: dict[str, str] = {
    "cmdg": "harness.data.captions_cmdg:attach",
}
"""Caption source name -> ``"module:function"`` of its ``attach(read) -> DatasetRead``."""


def with_captions(read: DatasetRead, source: str | None) -> DatasetRead:
    """``read`` with the captions of ``source`` attached (unchanged for ``None``, or when the
    source has no file for this dataset); ``read.captions`` then describes what was attached."""
    if source is None:
        return read
    if source not in CAPTION_SOURCES:
        raise ConfigError(f"unknown caption source {source!r}; known: {', '.join(sorted(CAPTION_SOURCES))}")
    module, _, name = CAPTION_SOURCES[source].partition(":")
    return getattr(importlib.import_module(module), name)(read)
