"""``load_method``: the Python entry point to a method (the CLI uses it too)."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import CheckpointError, ConfigError
from harness.methods.adapter import MethodAdapter, WeightsInfo
from harness.methods.registry import get_card


def resolve_device(device: str | None):
    """``cuda`` if available else ``cpu`` when ``device`` is None; a clear error for absent CUDA."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device} was asked for, but this machine has no CUDA device")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise ConfigError(f"--device must be 'cpu' or 'cuda[:N]', got {device!r}")
    return torch.device(device)


def load_method(
    name: str,
    weights: str | os.PathLike[str] | None = None,
    *,
    variant: str | None = None,
    device: str | None = None,
    random_init: bool = False,
    trust_checkpoint: bool = False,
    dtype: str | None = None,
    leg: str | None = None,
) -> MethodAdapter:
    """Build method ``name`` and load its weights strictly.

    Args:
        weights: checkpoint file (``.pth``, ``.pth.tar``, ``.safetensors``). Required unless the
            method is weights-free or ``random_init`` is set (smoke runs; results are marked
            non-reportable).
        variant: a variant from the card (default: the card's own).
        device: ``cpu``, ``cuda`` or ``cuda:N``; default: CUDA when available.
        trust_checkpoint: allow full (code-executing) pickles; off by default.
        leg: protocol leg, used only to name the expected checkpoint in errors.
    """
    from harness.methods.sie import resolve_sie
    from harness.models.external import resolve_family

    card = get_card(name)
    torch_device = resolve_device(device)
    from harness.weights import refuse_weights_for_weights_free

    refuse_weights_for_weights_free(card, weights is not None)
    variant = card.resolve_variant(variant)
    sie_weights = None if card.weights_free or (random_init and weights is None) else weights
    config, sie = resolve_sie(card, card.family_config_for(variant), sie_weights, trust=trust_checkpoint)
    model = resolve_family(card.family, card)(config)
    if card.weights_free:
        info = WeightsInfo(kind="weights-free")
    elif weights is not None:
        info = _load_weights(model, Path(weights), card=card, trust=trust_checkpoint)
    elif random_init:
        info = WeightsInfo(kind="random-init")
    elif card.pretrained is not None:
        from harness.methods.pretrained import download_pretrained

        info = _load_weights(model, download_pretrained(card), card=card, trust=trust_checkpoint)
    else:
        entry = card.checkpoint_for(leg)
        expected = (
            f" (expected file: {entry.file}" + (f", from {entry.url})" if entry.url else ")") if entry else ""
        )
        raise CheckpointError(
            f"method {card.name!r} needs weights{expected}; give its checkpoint with --weights (harness "
            "run also takes --weights-dir DIR), or --random-init for a non-reportable smoke run"
        )
    model.eval().to(torch_device)
    return MethodAdapter(
        card,
        model,
        variant=variant,
        weights=info,
        device=torch_device,
        dtype=dtype,
        family_config=config,
        sie=sie,
    )


def _load_weights(model, path: Path, *, card, trust: bool) -> WeightsInfo:
    from harness.checkpoints import load_state_dict_strict, read_checkpoint, sha256_file, strip_prefixes

    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    state = strip_prefixes(read_checkpoint(path, trust=trust), card.strip_prefixes)
    report = load_state_dict_strict(model, state, drop=card.drop_keys, source=path)
    return WeightsInfo(
        kind="checkpoint",
        path=str(path.resolve()),
        sha256=sha256_file(path),
        load_report=report.as_dict() if hasattr(report, "as_dict") else dict(vars(report)),
    )
