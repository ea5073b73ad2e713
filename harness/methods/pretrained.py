"""Library-provided weights (``pretrained:`` in a card): downloaded by name when no checkpoint is given.

Only zero-shot baselines use this (``clip``: open_clip's ``ViT-B-16-quickgelu`` / ``openai``). The
library's own downloader fetches the file into its cache; the harness then reads that file through
the same strict, pickle-safe path as any ``--weights`` file, so its sha256 lands in the record.
Without network access the download fails with a message saying which file to pass instead.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import CheckpointError
from harness.methods.card import MethodCard


def download_pretrained(card: MethodCard) -> Path:
    """The local path of ``card.pretrained``'s weights, downloading them if needed."""
    entry = card.pretrained
    if entry is None:
        raise CheckpointError(f"method {card.name!r} lists no library weights (pretrained:)")
    from open_clip.pretrained import download_pretrained as fetch
    from open_clip.pretrained import get_pretrained_cfg

    cfg = get_pretrained_cfg(entry.model, entry.tag)
    if not cfg:
        raise CheckpointError(
            f"method {card.name!r}: open_clip has no pretrained weights {entry.model}/{entry.tag}"
        )
    local = card.checkpoint_for(None)
    hint = f" (expected file: {local.file})" if local else ""
    try:
        path = fetch(cfg)
    except Exception as exc:  # no network, hub errors: all mean "bring the file yourself"
        raise CheckpointError(
            f"method {card.name!r}: could not download open_clip weights {entry.model}/{entry.tag} "
            f"({type(exc).__name__}: {exc}); pass --weights PATH to a local copy{hint}"
        ) from exc
    if not path:
        raise CheckpointError(
            f"method {card.name!r}: open_clip returned no file for {entry.model}/{entry.tag}; "
            f"pass --weights PATH to a local copy{hint}"
        )
    return Path(path)
