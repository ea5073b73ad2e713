"""The method metafile (``methods/<name>/method.yaml``), in the spirit of mmpretrain's metafiles.

A card says everything needed to reproduce a method's test-time embedding: which architecture
family builds the network and with what configuration, the method's own preprocessing, the
tensor used as the embedding, the distance, the precision, and which checkpoint each protocol leg
uses. Cards are validated strictly: an unknown field is an error, not a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    distance: Literal["cosine", "euclidean", "sqeuclidean"] = "euclidean"
    normalize_features: bool = True
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

    def family_config_for(self, variant: str | None) -> dict[str, Any]:
        """``family_config`` with the variant's overrides applied (``variant`` None = the default)."""
        chosen = variant if variant is not None else self.variant
        config = dict(self.family_config)
        if chosen is not None and chosen != self.variant:
            if chosen not in self.variants:
                choices = ", ".join(self.variants) or "(none)"
                raise ConfigError(f"method {self.name!r} has no variant {chosen!r}; variants: {choices}")
            config.update(self.variants[chosen])
        elif chosen is not None and chosen in self.variants:
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
