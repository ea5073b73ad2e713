"""The protocol file format (YAML), validated with pydantic.

A protocol is a named, versioned list of *legs*. Each leg names the training sources a method for
it was trained on (dataset + parts: the harness exports that exact training set), the test target
(dataset, query part, gallery part) and evaluation settings. Protocol-level ``evaluation`` settings
apply to every leg unless the leg overrides them. Bump ``version`` whenever a change can change
numbers; results record the version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import ProtocolError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvaluationSpec(_Strict):
    """How a leg is scored (see ``docs/metrics.md`` for each convention)."""

    junk: Literal["same-camera", "none"] = "same-camera"
    distance: Literal["cosine", "euclidean", "sqeuclidean"] = "euclidean"
    normalize: bool = True
    max_rank: int = Field(50, ge=1)
    rerank: bool = False
    trials: int = Field(1, ge=1)
    denominator: Literal["valid", "all"] = "valid"
    """``all``: a query with no positive counts as 0 (IRRA's text-to-image convention)."""


class TextSpec(_Strict):
    """Text-query settings (legs with ``query_modality: text``; see ``docs/text-to-image.md``).

    ``mask_ratios``: fractions of each query caption's words to mask, one result per ratio; the
    default ``[0.0]`` means unmasked captions. ``repeats``: independent maskings per ratio > 0
    (reported as mean and std). ``strategy``: ``mask`` (the method's mask token), ``unk`` (its
    unknown token) or ``delete`` (the word is removed). ``seed``: masking seed (never the method's).
    ``i2t``: also score image-to-text retrieval.
    """

    mask_ratios: tuple[float, ...] = (0.0,)
    repeats: int = Field(1, ge=1)
    strategy: Literal["mask", "unk", "delete"] = "mask"
    seed: int = Field(0, ge=0)
    i2t: bool = False

    @model_validator(mode="after")
    def _check_ratios(self) -> TextSpec:
        if not self.mask_ratios:
            raise ValueError("text.mask_ratios needs at least one ratio")
        bad = [r for r in self.mask_ratios if not 0.0 <= r < 1.0]
        if bad:
            raise ValueError(f"text.mask_ratios must lie in [0, 1); got {bad}")
        if len(set(self.mask_ratios)) != len(self.mask_ratios):
            raise ValueError(f"text.mask_ratios has repeated values: {list(self.mask_ratios)}")
        return self

    @property
    def sweeps(self) -> bool:
        """True when the protocol masks captions (records are then named per ratio)."""
        return self.mask_ratios != (0.0,)


class TrainSource(_Strict):
    """One training source: a dataset and which of its parts (splits) are used."""

    dataset: str
    parts: tuple[str, ...] = ("train",)


class TestSpec(_Strict):
    """The test target. ``splits`` names a frozen trial split set (small targets: ``prid2011``,
    ``grid``, ``viper``, ``ilids``); the leg is then evaluated on ``evaluation.trials`` trials built
    from it and ``query``/``gallery`` are not used."""

    dataset: str
    query: str = "query"
    gallery: str = "gallery"
    query_modality: Literal["image", "text"] = "image"
    splits: str | None = None


class LegSpec(_Strict):
    name: str
    train: tuple[TrainSource, ...] = ()
    test: TestSpec
    evaluation: dict = Field(default_factory=dict)
    description: str = ""


class ProtocolSpec(_Strict):
    name: str
    version: int = Field(ge=1)
    title: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    papers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Caveats printed by ``harness show protocol`` (e.g. how paper numberings differ)."""
    evaluation: EvaluationSpec = EvaluationSpec()
    text: TextSpec = TextSpec()
    legs: tuple[LegSpec, ...]

    @model_validator(mode="after")
    def _unique_legs(self) -> ProtocolSpec:
        names = [leg.name for leg in self.legs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"leg names must be unique; repeated: {', '.join(duplicates)}")
        if not names:
            raise ValueError("a protocol needs at least one leg")
        for leg in self.legs:
            EvaluationSpec(**{**self.evaluation.model_dump(), **leg.evaluation})
        if self.text != TextSpec() and not any(leg.test.query_modality == "text" for leg in self.legs):
            raise ValueError("a 'text' block needs at least one leg with query_modality: text")
        return self

    def leg(self, name: str) -> LegSpec:
        """The leg called ``name``; raises with the list of legs otherwise."""
        for leg in self.legs:
            if leg.name == name:
                return leg
        from harness.registry import suggest

        names = [leg.name for leg in self.legs]
        raise ProtocolError(
            f"protocol {self.name!r} has no leg {name!r}.{suggest(name, names)} Legs: {', '.join(names)}"
        )

    def evaluation_for(self, leg: LegSpec) -> EvaluationSpec:
        """The protocol's evaluation settings with the leg's overrides applied."""
        return EvaluationSpec(**{**self.evaluation.model_dump(), **leg.evaluation})


def load_protocol_file(path: Path) -> ProtocolSpec:
    """Parse and validate one protocol file; errors name the file and the offending field."""
    from harness.yamlio import load_yaml

    raw = load_yaml(path, what="protocol file", error=ProtocolError)
    if not isinstance(raw, dict):
        raise ProtocolError(f"{path}: expected a mapping at the top level, found {type(raw).__name__}")
    try:
        spec = ProtocolSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise ProtocolError(f"{path}: invalid protocol ({problems})") from exc
    from harness.safepaths import component_problem

    named = [("name", spec.name), *((f"legs[{i}].name", leg.name) for i, leg in enumerate(spec.legs))]
    for field, value in named:  # these become file names (records, pages): refused here, once
        if problem := component_problem(value):
            raise ProtocolError(f"{path}: {field} {value!r} cannot be used as a file name: {problem}")
    return spec
