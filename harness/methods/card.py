"""The method metafile (``methods/<name>/method.yaml``), in the spirit of mmpretrain's metafiles.

A card says everything needed to reproduce a method's test-time embedding: which architecture
family builds the network and with what configuration, the method's own preprocessing, the
tensor used as the embedding, the distance, the precision, and which checkpoint each protocol leg
uses. Cards are validated strictly: an unknown field is an error, not a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import ConfigError

DEFAULT_STRIP_PREFIXES = ("module.", "base.", "image_encoder.", "base_model.")


class CheckpointEntry(BaseModel):
    """The official checkpoint for one protocol leg (or ``default``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str
    sha256: str | None = None
    url: str | None = None
    note: str = ""


class PretrainedEntry(BaseModel):
    """Weights a library can download by name (used when no --weights is given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    library: Literal["open_clip"]
    model: str
    tag: str


class MethodCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    aliases: tuple[str, ...] = ()
    paper: str | None = None
    venue: str | None = None
    year: int | None = None
    code_url: str | None = None
    family: str
    variant: str | None = None
    family_config: dict[str, Any] = Field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    variant_aliases: dict[str, str] = Field(
        default_factory=dict, description="older or alternative variant names -> a name in variants"
    )
    official_configs: dict[str, str] = Field(
        default_factory=dict,
        description="variant -> the official configuration it reproduces (file at the pinned commit)",
    )
    modalities: tuple[Literal["image", "text"], ...] = ("image",)
    input_size: tuple[int, int] = Field(description="(height, width) of the test-time input")
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos"] = "bilinear"
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    normalization: Literal["mean-std", "instance"] = Field(
        "mean-std",
        description="mean-std: (x - mean) / std with the card's values (none when mean is null); "
        "instance: per-image, per-channel standardisation as nn.InstanceNorm2d(3, affine=False)",
    )
    test_feature: str
    distance: Literal["cosine", "euclidean", "sqeuclidean"] = Field(
        "euclidean", description="the official test-time distance (used under --convention method)"
    )
    normalize_features: bool = Field(
        True, description="whether the official evaluator L2-normalises features before the distance"
    )
    precision: Literal["fp32", "fp16", "bf16"] = "fp32"
    needs_camids: bool = False
    weights_free: bool = False
    checkpoints: dict[str, CheckpointEntry] = Field(default_factory=dict)
    pretrained: PretrainedEntry | None = Field(
        default=None,
        description="library weights downloaded when no checkpoint is given (zero-shot baselines)",
    )
    strip_prefixes: tuple[str, ...] = DEFAULT_STRIP_PREFIXES
    drop_keys: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    verification: str | None = None
    adapter_version: str = "1"
    source_dir: str | None = Field(default=None, description="set by the loader: the card's folder")

    @model_validator(mode="after")
    def _check_variant_names(self) -> MethodCard:
        if self.variant is not None and self.variants and self.variant not in self.variants:
            raise ValueError(f"variant {self.variant!r} is not one of variants ({', '.join(self.variants)})")
        for alias, target in self.variant_aliases.items():
            if target not in self.variants:
                raise ValueError(f"variant_aliases.{alias}: {target!r} is not one of variants")
            if alias in self.variants:
                raise ValueError(f"variant_aliases.{alias}: the alias is also a variant name")
        for name in self.official_configs:
            if name not in self.variants:
                raise ValueError(f"official_configs.{name}: not one of variants")
        return self

    def resolve_variant(self, variant: str | None) -> str | None:
        """The canonical variant name: ``None`` -> the card's default, an alias -> its target."""
        chosen = variant if variant is not None else self.variant
        if chosen is None:
            return None
        chosen = self.variant_aliases.get(chosen, chosen)
        if chosen != self.variant and chosen not in self.variants:
            names = [*self.variants, *(f"{a} (= {t})" for a, t in self.variant_aliases.items())]
            raise ConfigError(
                f"method {self.name!r} has no variant {variant!r}; variants: {', '.join(names) or '(none)'}"
            )
        return chosen

    def family_config_for(self, variant: str | None) -> dict[str, Any]:
        """``family_config`` with the variant's overrides applied (``variant`` None = the default;
        aliases resolve to their variant)."""
        chosen = self.resolve_variant(variant)
        config = dict(self.family_config)
        if chosen is not None and chosen in self.variants:
            config.update(self.variants[chosen])
        return config

    def checkpoint_for(self, leg: str | None) -> CheckpointEntry | None:
        """The checkpoint of ``leg``, else the ``default`` one, else None."""
        if leg is not None and leg in self.checkpoints:
            return self.checkpoints[leg]
        return self.checkpoints.get("default")


def load_card(path: Path) -> MethodCard:
    """Read and validate ``method.yaml``; errors name the file and the field."""
    from harness.yamlio import load_yaml

    raw = load_yaml(path, what="method metafile", error=ConfigError)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw["source_dir"] = str(Path(path).resolve().parent)
    try:
        card = MethodCard.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: invalid method metafile ({problems})") from exc
    from harness.safepaths import component_problem

    named = [("name", card.name), *((f"variants.{v}", v) for v in card.variants)]
    if card.variant is not None:
        named.append(("variant", card.variant))
    for field, value in named:  # these become file names (records, cache listings): refused here, once
        if problem := component_problem(value):
            raise ConfigError(f"{path}: {field} {value!r} cannot be used as a file name: {problem}")
    return card
