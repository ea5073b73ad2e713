"""SIE camera counts: read from the checkpoint, as the official code sized them from its training set.

TransReID (``damo-cv/TransReID@dec5504:model/backbones/vit_pytorch.py``) and CLIP-ReID
(``Syliz517/CLIP-ReID@eb1898b:model/make_model*.py``) size their side-information embedding
(``sie_embed [cameras, 1, D]`` / ``cv_embed [cameras, D]``) with ``dataset.num_train_cams``: 6 for
a Market-1501 model, 15 for an MSMT17 one. A card's ``sie_cameras`` is therefore only a default;
with a checkpoint the count is its embedding's first dimension. Camera ids are the 0-based camera
index (Market ``c1`` -> 0, MSMT17 ``camid - 1``), which is the manifests' convention, and
``sie_embed[camid]`` is indexed with them directly. View embeddings (``SIE_VIEW``, vehicle data)
are not supported: person datasets have one view (``num_train_vids == 1``), for which the official
code builds no view embedding.

A family declares which parameter holds the camera embedding with a ``sie_parameter`` attribute on
its ``build`` callable (``cv_embed`` for ``clip-vit``, ``sie_embed`` for ``transreid-vit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import CheckpointError, ConfigError

if TYPE_CHECKING:
    from harness.methods.card import MethodCard


@dataclass(frozen=True)
class SieInfo:
    """The camera count a network was built with and where it came from."""

    cameras: int
    source: str  # "checkpoint" (its embedding's shape) | "card" (random init: the card's default)
    parameter: str | None
    shape: tuple[int, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cameras": self.cameras,
            "source": self.source,
            "parameter": self.parameter,
            "shape": list(self.shape) if self.shape is not None else None,
        }

    def describe(self) -> str:
        if self.source == "checkpoint":
            return f"{self.cameras} cameras from the checkpoint's {self.parameter} {list(self.shape or ())}"
        return f"{self.cameras} cameras from the method card (no checkpoint: random init)"


def sie_parameter(family: str) -> str | None:
    """The state-dict key of ``family``'s camera embedding, or None if it has none."""
    from harness.models.external import is_external, resolve_family

    if is_external(family):  # a user's own builder: no SIE sizing from checkpoints
        return None
    return getattr(resolve_family(family), "sie_parameter", None)


def _sie_variants(card: MethodCard) -> list[str]:
    return [
        name for name in card.variants if int(card.family_config_for(name).get("sie_cameras", 0) or 0) > 0
    ]


def resolve_sie(
    card: MethodCard,
    config: dict[str, Any],
    weights: str | Path | None,
    *,
    trust: bool = False,
) -> tuple[dict[str, Any], SieInfo | None]:
    """``(config with the checkpoint's sie_cameras, SieInfo)``; ``(config, None)`` without SIE.

    Without a checkpoint (random init) the card's ``sie_cameras`` is used. Raises
    CheckpointError, naming the file and the variants that have SIE, when a checkpoint holds a
    camera embedding that the chosen variant lacks.
    """
    from harness.checkpoints import read_checkpoint_shapes

    parameter = sie_parameter(card.family)
    wanted = int(config.get("sie_cameras", 0) or 0)
    if parameter is None or card.weights_free:
        return config, None
    if weights is None:
        return config, (SieInfo(cameras=wanted, source="card", parameter=parameter) if wanted > 0 else None)
    shapes = read_checkpoint_shapes(weights, trust=trust)
    return sie_from_shapes(card, config, shapes, source=str(weights))


def sie_from_shapes(
    card: MethodCard, config: dict[str, Any], shapes: dict[str, tuple[int, ...]], *, source: str
) -> tuple[dict[str, Any], SieInfo | None]:
    """:func:`resolve_sie` on a checkpoint's ``{key: shape}`` (official prefixes included)."""
    from harness.checkpoints import strip_prefixes

    parameter = sie_parameter(card.family)
    wanted = int(config.get("sie_cameras", 0) or 0)
    if parameter is None:
        return config, None
    shape = strip_prefixes(shapes, card.strip_prefixes).get(parameter)
    if shape is None:  # a checkpoint without the embedding: strict loading names the missing key
        return config, (SieInfo(wanted, "card", parameter) if wanted > 0 else None)
    if wanted <= 0:
        sie = ", ".join(_sie_variants(card)) or "(none)"
        raise CheckpointError(
            f"checkpoint {source} has a camera embedding {parameter} {list(shape)} (SIE), but this "
            f"variant of {card.name!r} has none; choose a variant with SIE (--variant: {sie})"
        )
    if not shape or shape[0] < 1:
        raise CheckpointError(
            f"checkpoint {source}: {parameter} has shape {list(shape)}, expected [cameras, ...]"
        )
    cameras = int(shape[0])
    return {**config, "sie_cameras": cameras}, SieInfo(cameras, "checkpoint", parameter, tuple(shape))


def check_test_cameras(method_name: str, sie: SieInfo | None, max_camid: int) -> None:
    """Refuse camera ids beyond the embedding's count with a one-line message."""
    if sie is None or max_camid < sie.cameras:
        return
    raise ConfigError(
        f"method {method_name!r}: the test images have camera ids up to {max_camid} (0-based), but the "
        f"camera embedding (SIE) has {sie.describe()}; a model trained on a dataset with fewer "
        "cameras cannot embed them"
    )
