"""Record identity: what makes two result records results of the same experiment.

A record's identity is ``(method, variant, protocol, protocol version, leg, settings)``, where the
settings are reduced to a short canonical *slug* of everything that differs from the defaults
(``harness.results.schema.Settings``). Parts, in this order, joined by ``+``:

============  ===========================================================================
``rerank``    k-reciprocal re-ranking with the defaults (k1=20, k2=6, lambda=0.3);
              ``rerank-K1-K2-LAMBDA`` with other parameters
``aqe``       average query expansion with the defaults (1 round, k=5, alpha=3);
              ``aqe-TIMES-K-ALPHA`` otherwise
``flip``      flip test-time augmentation
``bf16``...   a precision other than the method card's own
``mask0.3``   text-mask ratio (``unk0.3`` / ``delete0.3`` for the other strategies)
``cosine``... an evaluation distance/normalisation other than the protocol's
              (``euclidean-raw``: euclidean on un-normalised features)
``splits-metabin``  trials from the user's published split files (``splits-cmdg``: CMDG's)
              instead of the harness's own
``random-init``  random-init weights
``w-1a2b3c4d``   a checkpoint other than the one the card lists (first 8 hex digits of its sha256)
============  ===========================================================================

The record's path carries the whole identity (:func:`record_relpath`):
``<method>[@<variant>]/<protocol>[@v<N>]/<leg>[+<slug>].json``; protocol version 1 and default
settings add nothing, so a plain run keeps its short path, and a variant run (``--flip``,
``--dtype bf16``, re-ranking, another checkpoint, another protocol version) never overwrites
another. Tables, the leaderboard and ``harness check`` group records by :class:`RecordKey`, and
print it with :meth:`RecordKey.columns` (``method[variant]``, ``protocol[@vN]``, ``leg[+slug]``);
``harness check`` reads an expected entry back into a key with :meth:`RecordKey.parse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.results.schema import EvaluationInfo, ResultRecord, Settings

SPLITS_PREFIX = "splits-"
"""Slug part of trials from the user's published split files (``splits-metabin``)."""
_RERANK_DEFAULT = (20, 6, 0.3)
_AQE_DEFAULT = (1, 5, 3.0)


def format_ratio(ratio: float) -> str:
    """``0.0``, ``0.1``, ``0.25``: the shortest form with at least one decimal."""
    short = f"{ratio:g}"
    return short if "." in short else f"{short}.0"


def settings_slug(settings: Settings, evaluation: EvaluationInfo, weights: str = "weights-free") -> str:
    """The canonical short form of ``settings`` ('' when every setting is the default)."""
    return "+".join([*evaluation_parts(settings, evaluation), *weights_parts(settings, weights)])


def evaluation_parts(settings: Settings, evaluation: EvaluationInfo) -> list[str]:
    """The slug parts of the evaluation settings (everything but the weights), in slug order."""
    parts: list[str] = []
    if (rr := settings.rerank) is not None:
        values = (rr.k1, rr.k2, rr.lambda_value)
        parts.append("rerank" if values == _RERANK_DEFAULT else f"rerank-{rr.k1}-{rr.k2}-{rr.lambda_value:g}")
    if (aqe := settings.aqe) is not None:
        values = (aqe.qe_times, aqe.qe_k, aqe.alpha)
        parts.append("aqe" if values == _AQE_DEFAULT else f"aqe-{aqe.qe_times}-{aqe.qe_k}-{aqe.alpha:g}")
    if settings.flip:
        parts.append("flip")
    if settings.method_dtype is not None and settings.dtype != settings.method_dtype:
        parts.append(settings.dtype)
    if (mask := settings.text_mask) is not None:
        parts.append(f"{mask.strategy}{format_ratio(mask.ratio)}")
    if (conv := settings.convention) is not None and (conv.distance, conv.normalize) != (
        evaluation.distance,
        evaluation.normalize,
    ):
        parts.append(conv.distance + ("" if conv.normalize else "-raw"))
    if settings.splits:
        parts.append(f"{SPLITS_PREFIX}{settings.splits}")
    return parts


_SLUG_ORDER = (
    ("rerank",),
    ("aqe",),
    ("flip",),
    ("fp32", "fp16", "bf16"),
    ("mask", "unk", "delete"),
    (),  # a distance / normalisation (any other part)
    (SPLITS_PREFIX,),
    ("random-init", "w-"),
)


def canonical_slug(slug: str) -> str:
    """``slug`` in the canonical form :func:`settings_slug` writes: parts in slug order, and the
    default re-ranking / AQE parameters written as plain ``rerank`` / ``aqe``
    (``flip+rerank-20-6-0.3`` -> ``rerank+flip``). How a hand-written expected entry is read."""
    parts = [p for p in slug.split("+") if p]
    defaults = {
        "rerank": "rerank-{}-{}-{:g}".format(*_RERANK_DEFAULT),
        "aqe": "aqe-{}-{}-{:g}".format(*_AQE_DEFAULT),
    }
    parts = [next((short for short, long in defaults.items() if p == long), p) for p in parts]

    def rank(part: str) -> int:
        for i, prefixes in enumerate(_SLUG_ORDER):
            if any(part.startswith(prefix) for prefix in prefixes):
                return i
        return 5

    return "+".join(sorted(dict.fromkeys(parts), key=rank))


def weights_parts(settings: Settings, weights: str) -> list[str]:
    """The slug parts of the weights: ``random-init``, or a checkpoint other than the card's."""
    if weights == "random-init":
        return ["random-init"]
    if (ckpt := settings.checkpoint) is not None and not ckpt.is_card_checkpoint:
        return [f"w-{ckpt.sha256[:8].lower()}"]
    return []


@dataclass(frozen=True, order=True)
class RecordKey:
    """The identity of a result record (see the module docstring)."""

    method: str
    variant: str | None
    protocol: str
    protocol_version: int
    leg: str
    settings: str = ""

    @property
    def method_dir(self) -> str:
        return self.method + (f"@{self.variant}" if self.variant else "")

    @property
    def protocol_dir(self) -> str:
        return self.protocol + (f"@v{self.protocol_version}" if self.protocol_version != 1 else "")

    @property
    def leg_label(self) -> str:
        """The leg with its settings slug (``market1501+flip``): how run output and checks name it."""
        return self.leg + (f"+{self.settings}" if self.settings else "")

    @property
    def method_label(self) -> str:
        """``name`` or ``name[variant]``: how tables, plots, the leaderboard and ``harness check`` name it."""
        return method_label(self.method, self.variant)

    def columns(self) -> tuple[str, str, str]:
        """``(method[variant], protocol[@vN], leg[+settings])``: the printed key columns of a record."""
        return (self.method_label, self.protocol_dir, self.leg_label)

    @property
    def sort_key(self) -> tuple[str, str, int, str, str]:
        """Orders keys by method label, protocol, version, leg, settings (a variant may be None)."""
        return (self.method_label, self.protocol, self.protocol_version, self.leg, self.settings)

    def differences(self, other: RecordKey) -> list[tuple[str, str, str]]:
        """``(field, mine, other's)`` for every field of the identity that differs, as printed."""
        out = []
        for name in ("method", "variant", "protocol", "protocol_version", "leg", "settings"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                out.append((name.replace("_", " "), _shown(mine), _shown(theirs)))
        return out

    @classmethod
    def parse(
        cls, method: str, protocol: str, leg: str, protocol_version: int = 1, settings: str = ""
    ) -> RecordKey:
        """The identity written as fields (an expected file's entry) or as printed columns.

        ``method`` is ``name``, ``name[variant]`` or ``name@variant``; ``protocol`` may carry
        ``@vN`` (then ``protocol_version`` must be 1 or N) and ``leg`` its ``+settings`` slug (then
        ``settings`` must be empty or the same). Raises :class:`ValueError` naming the field.
        """
        name, variant = _split_method(method)
        base, _, version_text = protocol.partition("@v")
        if version_text:
            if not version_text.isdigit() or int(version_text) < 1:
                raise ValueError(f"protocol {protocol!r}: expected NAME or NAME@vN")
            if protocol_version not in (1, int(version_text)):
                said = f"protocol_version says {protocol_version}"
                raise ValueError(f"protocol {protocol!r} says version {version_text}, {said}")
            protocol_version = int(version_text)
        leg_name, _, slug = leg.partition("+")
        if slug and settings and slug != settings:
            raise ValueError(f"leg {leg!r} says settings {slug!r}, settings says {settings!r}")
        return cls(name, variant, base, protocol_version, leg_name, settings or slug)

    def __str__(self) -> str:
        return f"{self.method_dir}/{self.protocol_dir}/{self.leg_label}"


def method_label(name: str, variant: str | None) -> str:
    """``name`` or ``name[variant]`` (the one printed spelling of a method and its variant)."""
    return f"{name}[{variant}]" if variant else name


def _split_method(method: str) -> tuple[str, str | None]:
    """``name[variant]`` or ``name@variant`` -> ``(name, variant)``."""
    if method.endswith("]") and "[" in method:
        name, _, variant = method[:-1].partition("[")
        return name, variant or None
    name, _, variant = method.partition("@")
    return name, variant or None


def _shown(value: object) -> str:
    if value is None or value == "":
        return "none"
    return f"v{value}" if isinstance(value, int) else str(value)


def record_key(record: ResultRecord) -> RecordKey:
    """The identity of ``record``."""
    return RecordKey(
        method=record.method.name,
        variant=record.method.variant,
        protocol=record.protocol.name,
        protocol_version=record.protocol.version,
        leg=record.protocol.leg,
        settings=settings_slug(record.settings, record.protocol.evaluation, record.method.weights),
    )


def _safe(part: str) -> str:
    """A file-name-safe form of ``part``: never empty, never ``.``/``..``, no path separator."""
    safe = "".join(c if c.isalnum() or c in "-_.+@" else "_" for c in part)
    return "_" + safe if not safe.strip(".") else safe


def record_relpath(key: RecordKey) -> Path:
    """``<method>[@<variant>]/<protocol>[@v<N>]/<leg>[+<slug>].json`` (unsafe characters become ``_``)."""
    return Path(_safe(key.method_dir)) / _safe(key.protocol_dir) / f"{_safe(key.leg_label)}.json"
