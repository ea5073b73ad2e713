"""Deterministic masking of query captions, the same for every method.

Conventions (``docs/text-to-image.md``):

* A *word* is a maximal run of letters and digits, joined by inner hyphens or apostrophes
  (``t-shirt``, ``person's``); punctuation and whitespace are not words and are kept.
* At ratio ``r`` a caption of ``n`` words gets ``k = floor(r * n + 1/2)`` words masked (round half
  up; computed exactly in decimal, so ``0.5 * 3 -> 2`` and ``0.1 * 5 -> 1``).
* Which words: a permutation of the word positions drawn from
  ``numpy.random.default_rng([seed, repeat, index, crc32(caption)])`` (``index``: the caption's
  position in the query list); the first ``k`` positions are masked. Masks are nested: the words
  masked at a lower ratio are also masked at every higher ratio of the same (seed, repeat).
  Nothing here depends on the method.
* Strategies: ``mask`` replaces each masked word with the method's mask token, ``unk`` with its
  unknown token, ``delete`` removes it (and the whitespace before it). Ratio 0 returns every caption
  unchanged (the identical string).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from harness.errors import ConfigError

WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
STRATEGIES = ("mask", "unk", "delete")
DEFAULT_TOKENS = {"mask": "[MASK]", "unk": "[UNK]", "delete": ""}
_TOKEN_ATTR = {"mask": "mask_token", "unk": "unk_token"}
_TOKEN_ID_ATTR = {"mask": "mask_token_id", "unk": "unk_token_id"}


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the words of ``text``."""
    return [m.span() for m in WORD.finditer(text)]


def n_masked(n_words: int, ratio: float) -> int:
    """How many of ``n_words`` are masked at ``ratio``: ``floor(ratio * n_words + 1/2)``."""
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(f"mask ratio must lie in [0, 1], got {ratio}")
    exact = Decimal(repr(float(ratio))) * n_words
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mask_order(text: str, *, seed: int, repeat: int, index: int) -> np.ndarray:
    """The order in which the words of ``text`` get masked (a permutation of word positions)."""
    rng = np.random.default_rng([seed, repeat, index, zlib.crc32(text.encode("utf-8"))])
    return rng.permutation(len(word_spans(text)))


@dataclass(frozen=True)
class MaskedCaption:
    text: str
    n_words: int
    n_masked: int


def mask_caption(
    text: str,
    ratio: float,
    *,
    seed: int,
    repeat: int,
    index: int,
    strategy: str = "mask",
    token: str = "[MASK]",
) -> MaskedCaption:
    """``text`` with ``n_masked(words, ratio)`` of its words masked (see the module docstring)."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"mask strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    spans = word_spans(text)
    k = n_masked(len(spans), ratio)
    if k == 0:
        return MaskedCaption(text, len(spans), 0)
    chosen = set(mask_order(text, seed=seed, repeat=repeat, index=index)[:k].tolist())
    pieces: list[str] = []
    cursor = 0
    for position, (start, end) in enumerate(spans):
        gap = text[cursor:start]
        if position in chosen:
            if strategy == "delete":
                pieces.append(gap.rstrip() if pieces else gap.lstrip())
            else:
                pieces.append(gap + token)
        else:
            pieces.append(gap + text[start:end])
        cursor = end
    pieces.append(text[cursor:])
    out = "".join(pieces)
    if strategy == "delete":
        out = re.sub(r"\s{2,}", " ", out).strip()
    return MaskedCaption(out, len(spans), k)


def mask_captions(
    captions: Sequence[str],
    ratio: float,
    *,
    seed: int,
    repeat: int,
    strategy: str = "mask",
    token: str = "[MASK]",
) -> list[str]:
    """Mask every caption of a query list (caption ``i`` uses ``index=i``)."""
    return [
        mask_caption(c, ratio, seed=seed, repeat=repeat, index=i, strategy=strategy, token=token).text
        for i, c in enumerate(captions)
    ]


def masked_fraction(captions: Sequence[str], masked: Sequence[str], token: str) -> float:
    """Fraction of the words of ``captions`` that are ``token`` in ``masked`` (for checks and reports)."""
    total = sum(len(word_spans(c)) for c in captions)
    hits = sum(m.count(token) for m in masked)
    return hits / total if total else 0.0


def token_for(model: Any, strategy: str) -> tuple[str, str]:
    """The replacement string for ``strategy`` and where it came from (``model`` or ``default``).

    A family may define ``mask_token`` / ``unk_token`` string attributes (the token its tokenizer
    maps to its mask / unknown id); otherwise the generic ``[MASK]`` / ``[UNK]`` placeholder is used
    and the result record says so.
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"mask strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if strategy == "delete":
        return "", "delete"
    value = getattr(model, _TOKEN_ATTR[strategy], None)
    if isinstance(value, str) and value:
        return value, "model"
    return DEFAULT_TOKENS[strategy], "default"


def token_id_for(model: Any, strategy: str) -> int | None:
    """The id the model's tokenizer gives its own ``strategy`` token (``mask_token_id`` /
    ``unk_token_id``), when the model defines both the token and the id; for the record."""
    if strategy not in _TOKEN_ID_ATTR or token_for(model, strategy)[1] != "model":
        return None
    value = getattr(model, _TOKEN_ID_ATTR[strategy], None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
