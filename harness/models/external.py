"""Bring your own model: a card's ``family`` may name ``package.module:callable`` instead of a
built-in family.

The callable is imported lazily from the user's environment (only when the network is built, or
when ``harness list``/``show`` validate the card), receives the card's resolved ``family_config``
(a ``dict``) and returns a ``torch.nn.Module`` that either has ``encode_image(images[, camids])``
or whose ``forward(images[B, 3, H, W])`` returns ``[B, D]`` embeddings. Everything else (strict
checkpoint loading, ``--random-init``, the card's preprocessing, the embedding cache, records) is
the same as for built-in families. ``docs/methods.md`` has a worked example.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError, RegistryError

if TYPE_CHECKING:
    import torch

    from harness.methods.card import MethodCard

Builder = Callable[[dict[str, Any]], "torch.nn.Module"]


def is_external(family: str) -> bool:
    """Whether ``family`` names a ``package.module:callable`` builder rather than a built-in family."""
    return ":" in family


def _where(card: MethodCard | None) -> str:
    if card is None:
        return ""
    source = f" ({card.source_dir}/method.yaml)" if card.source_dir else ""
    return f"method {card.name!r}{source}: "


def resolve_family(family: str, card: MethodCard | None = None) -> Builder:
    """The builder of ``family``: a built-in name (or alias), or ``package.module:callable``.

    Errors are one-line :class:`ConfigError`/:class:`RegistryError` messages naming the card, the
    module and the attribute.
    """
    where = _where(card)
    if not is_external(family):
        from harness.models import FAMILIES

        try:
            return FAMILIES.get(family)
        except RegistryError as exc:
            raise RegistryError(
                f"{where}{exc} (or name your own builder as 'package.module:callable', see docs/methods.md)"
            ) from None
    module_name, _, attribute = family.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"{where}family {family!r} must be of the form 'package.module:callable'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module: name it and its own error, never a traceback
        raise ConfigError(
            f"{where}family {family!r}: cannot import module {module_name!r} ({type(exc).__name__}: {exc})"
        ) from exc
    target: object = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(
                f"{where}family {family!r}: module {module_name!r} has no attribute {attribute!r}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"{where}family {family!r}: {module_name}.{attribute} is not callable")
    return _checked(target, family, where)  # type: ignore[arg-type]


def check_family(card: MethodCard) -> None:
    """Raise the one-line error :func:`resolve_family` would raise for ``card`` (no network built)."""
    resolve_family(card.family, card)


def _checked(builder: Callable[..., Any], family: str, where: str) -> Builder:
    """Wrap a user builder: its result must be an ``nn.Module``; give it the family contract's
    ``encode_image(images, camids=None)`` if it has none (calling ``forward(images)``)."""

    def build(config: dict[str, Any]) -> torch.nn.Module:
        import torch

        model = builder(dict(config))
        if not isinstance(model, torch.nn.Module):
            raise ConfigError(
                f"{where}family {family!r} returned {type(model).__name__}, expected a torch.nn.Module"
            )
        own = getattr(model, "encode_image", None)
        own = getattr(own, "_harness_original", own)  # a model built (and wrapped) before: wrap its original
        encode = own if callable(own) else model.forward
        takes_camids = _accepts_two_arguments(encode)
        label = f"{family} ({'encode_image' if callable(own) else 'forward'})"

        def encode_image(images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
            if camids is not None and not takes_camids:
                raise ConfigError(f"{where}family {label} takes no camera ids; set needs_camids: false")
            features = encode(images, camids) if camids is not None else encode(images)
            if not isinstance(features, torch.Tensor) or features.ndim != 2 or len(features) != len(images):
                shape = (
                    tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
                )
                raise ConfigError(
                    f"{where}family {label} returned {shape} for {len(images)} images; "
                    "expected [B, D] embeddings"
                )
            return features

        encode_image._harness_original = own if callable(own) else None  # type: ignore[attr-defined]
        object.__setattr__(model, "encode_image", encode_image)  # an attribute, not a parameter
        return model

    build.__qualname__ = build.__name__ = getattr(builder, "__name__", "build")
    return build


def _accepts_two_arguments(function: Callable[..., Any]) -> bool:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2
