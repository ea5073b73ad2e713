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
``random-init``  random-init weights
``w-1a2b3c4d``   a checkpoint other than the one the card lists (first 8 hex digits of its sha256)
============  ===========================================================================

The record's path carries the whole identity (:func:`record_relpath`):
``<method>[@<variant>]/<protocol>[@v<N>]/<leg>[+<slug>].json``; protocol version 1 and default
settings add nothing, so a plain run keeps its short path, and a variant run (``--flip``,
``--dtype bf16``, re-ranking, another checkpoint, another protocol version) never overwrites
another. Tables, the leaderboard and ``harness check`` group records by :class:`RecordKey`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.results.schema import EvaluationInfo, ResultRecord, Settings

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
    return parts


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

    def __str__(self) -> str:
        return f"{self.method_dir}/{self.protocol_dir}/{self.leg_label}"


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
