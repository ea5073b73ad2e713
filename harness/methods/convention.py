"""Which distance and feature normalisation score a method: its own (default) or the protocol's.

Every method card states its official test-time evaluation: ``distance`` (``cosine``,
``euclidean`` or ``sqeuclidean``) and ``normalize_features`` (whether the official evaluator
L2-normalises features first). CLIP-ReID, TransReID, CMDG and the other TransReID-derived codes
use squared Euclidean on L2-normalised features; CLIP-FGDI squared Euclidean on *un-normalised*
features; IRRA and DGCMIA cosine similarity.

* ``method`` (default): each method is scored as its own code scores it, so the numbers are
  comparable to what its paper printed.
* ``common``: every method is scored with the protocol's ``evaluation.distance`` /
  ``evaluation.normalize`` (one uniform convention for a like-for-like comparison).

Junk rule, denominator, ``max_rank`` and re-ranking always come from the protocol. The record
states the convention used (``conventions.evaluation_convention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.methods.card import MethodCard
    from harness.protocols.spec import EvaluationSpec

CONVENTIONS = ("method", "common")
DEFAULT_CONVENTION = "method"


@dataclass(frozen=True)
class Convention:
    """The resolved scoring convention of one leg."""

    name: str  # "method" | "common"
    distance: str
    normalize: bool
    source: str  # e.g. "method card 'clip-fgdi'" or "protocol 'p2'"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distance": self.distance,
            "normalize_features": self.normalize,
            "source": self.source,
        }


def check_convention(name: str) -> str:
    """``name`` if it is a known convention, else a one-line ConfigError."""
    if name not in CONVENTIONS:
        raise ConfigError(f"--convention must be one of {', '.join(CONVENTIONS)}, got {name!r}")
    return name


def resolve_convention(
    card: MethodCard, evaluation: EvaluationSpec, protocol: str, choice: str = DEFAULT_CONVENTION
) -> Convention:
    """The distance and normalisation a leg of ``protocol`` scores ``card``'s method with."""
    if check_convention(choice) == "common":
        return Convention("common", evaluation.distance, evaluation.normalize, f"protocol {protocol!r}")
    normalize = True if card.distance == "cosine" else card.normalize_features
    return Convention("method", card.distance, normalize, f"method card {card.name!r}")


def apply_convention(
    card: MethodCard, evaluation: EvaluationSpec, protocol: str, choice: str = DEFAULT_CONVENTION
) -> tuple[EvaluationSpec, Convention]:
    """``(evaluation with the convention's distance/normalize, the convention)`` for the scorer."""
    convention = resolve_convention(card, evaluation, protocol, choice)
    scored = evaluation.model_copy(
        update={"distance": convention.distance, "normalize": convention.normalize}
    )
    return scored, convention


def record_entries(convention: Convention, method: Any) -> dict[str, Any]:
    """What a leg's record states about how the method was scored and built: the evaluation
    convention and, for SIE variants, the camera count used (and where it came from)."""
    entries: dict[str, Any] = {"evaluation_convention": convention.as_dict()}
    sie = getattr(method, "sie", None)
    if sie is not None:
        entries["sie_cameras"] = sie.as_dict()
    return entries
