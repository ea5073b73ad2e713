"""``harness.evaluate(model, protocol=..., leg=..., preprocess=...)``: score an in-memory model.

In the spirit of MTEB's encode protocol: any ``torch.nn.Module`` whose ``forward(images)`` returns
``[B, D]`` embeddings (or that has ``encode_image(images)``) is evaluated on a protocol's legs
through **the same pipeline** as ``harness run``: an in-memory method card (its preprocessing
from ``preprocess``, its family the model itself, resolved through
:mod:`harness.models.external`) and the model's weights as a checkpoint, so reading the test data,
the embedding cache, scoring and the result records are those of :func:`harness.runner.run_protocol`.

The weights are written once, content-addressed, to ``<cache dir>/models/<sha256>.pt`` (the cache
dir of ``--cache-dir`` / ``$HARNESS_CACHE``), and loaded strictly like any checkpoint; the record's
``method.checkpoint_sha256`` identifies them and a re-run with unchanged weights is served from the
embedding cache. The model is put in eval mode and moved to ``device``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from harness.pipeline.options import LegOutcome

BUILDER = "harness.api:in_memory_model"
PREPROCESS_KEYS = ("input_size", "interpolation", "mean", "std", "normalization")

_MODELS: dict[str, Any] = {}  # evaluate() name -> the model being evaluated


def in_memory_model(config: dict[str, Any]) -> torch.nn.Module:
    """The family builder of :func:`evaluate`'s cards: the model registered under ``config['name']``."""
    try:
        return _MODELS[config["name"]]
    except KeyError:
        raise ConfigError(
            f"no in-memory model is registered as {config.get('name')!r}; call harness.evaluate(model, ...)"
        ) from None


def state_sha256(model: torch.nn.Module) -> str:
    """sha256 of a module's state (every key, dtype, shape and byte, in key order)."""
    import torch

    digest = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{key}\0{value.dtype}\0{tuple(value.shape)}\0".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _preprocess_fields(preprocess: Mapping[str, Any] | str) -> dict[str, Any]:
    """The card's preprocessing fields from a mapping, or borrowed from a registered method's card."""
    if isinstance(preprocess, str):
        from harness.methods import get_card

        card = get_card(preprocess)
        return {key: getattr(card, key) for key in PREPROCESS_KEYS}
    if not isinstance(preprocess, Mapping):
        raise ConfigError(
            "preprocess must be a mapping with input_size (and optionally interpolation, mean, std, "
            f"normalization) or a method name whose preprocessing to use, got {type(preprocess).__name__}"
        )
    unknown = sorted(set(preprocess) - set(PREPROCESS_KEYS))
    if unknown:
        raise ConfigError(f"preprocess has unknown keys {unknown}; expected some of {list(PREPROCESS_KEYS)}")
    if "input_size" not in preprocess:
        raise ConfigError("preprocess needs input_size: (height, width) of the test-time input")
    return dict(preprocess)


def _own_encoder(model: torch.nn.Module) -> Any:
    """The model's own ``encode_image`` (not the contract wrapper an earlier build attached), or None."""
    own = getattr(model, "encode_image", None)
    return getattr(own, "_harness_original", own)


def _card(name: str, model: torch.nn.Module, preprocess: Mapping[str, Any] | str, needs_camids: bool):
    from pydantic import ValidationError

    from harness.methods.card import MethodCard

    kind = type(model)
    fields = {
        "name": name,
        "title": f"{kind.__module__}.{kind.__qualname__} (harness.evaluate)",
        "family": BUILDER,
        "family_config": {"name": name, "model": f"{kind.__module__}.{kind.__qualname__}"},
        "test_feature": "encode_image" if callable(_own_encoder(model)) else "forward",
        "needs_camids": needs_camids,
        "strip_prefixes": (),  # the file is the model's own state_dict
        **_preprocess_fields(preprocess),
    }
    try:
        return MethodCard.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"harness.evaluate: invalid preprocess or name ({problems})") from None


def _checkpoint(model: torch.nn.Module, cache_dir: Path | None) -> Path:
    import torch

    from harness.atomic import write_atomic
    from harness.paths import cache_dir as resolve_cache_dir

    path = resolve_cache_dir(cache_dir) / "models" / f"{state_sha256(model)}.pt"
    if not path.is_file():
        state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
        write_atomic(path, lambda tmp: torch.save(state, tmp))
    return path


def evaluate(
    model: torch.nn.Module,
    *,
    protocol: str,
    leg: str | list[str] | None = None,
    preprocess: Mapping[str, Any] | str,
    name: str = "my-model",
    data_root: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] = "harness-out",
    device: str | None = None,
    needs_camids: bool = False,
    **options: Any,
) -> list[LegOutcome]:
    """Evaluate ``model`` on ``protocol`` (every leg, or ``leg``) as ``harness run`` would.

    Args:
        model: a ``torch.nn.Module``; ``forward(images[B, 3, H, W]) -> [B, D]`` or ``encode_image``.
        preprocess: ``{"input_size": (H, W), "interpolation": "bilinear", "mean": (...), "std":
            (...), "normalization": "mean-std"}`` (the card fields of the same names), or the name
            of a registered method whose preprocessing to reuse (e.g. ``"transreid"``).
        name: the method name in records (``OUT/<name>/<protocol>/<leg>...json``); it must not be a
            registered method's name.
        data_root: the datasets' folder (default ``$HARNESS_DATA``).
        options: any other :class:`harness.pipeline.options.RunOptions` field (``batch_size``, ``flip``,
            ``cache_dir``, ``no_cache``, ``dtype``, ...).

    Returns:
        one :class:`~harness.pipeline.options.LegOutcome` (``record``, ``path``) per written record.
    """
    import torch

    from harness.methods.registry import METHODS
    from harness.paths import data_root as resolve_data_root
    from harness.pipeline.options import RunOptions
    from harness.protocols import get_protocol
    from harness.runner import run_protocol

    if not isinstance(model, torch.nn.Module):
        raise ConfigError(f"harness.evaluate needs a torch.nn.Module, got {type(model).__name__}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ConfigError(f"name {name!r}: use letters, digits, '.', '_' and '-' (it names a folder)")
    card = _card(name, model, preprocess, needs_camids)
    if name in METHODS:
        raise ConfigError(f"name {name!r} is a registered method; pass another name= to harness.evaluate")
    unknown = sorted(set(options) - set(RunOptions.__dataclass_fields__) - {"data_root", "out_dir"})
    if unknown:
        raise ConfigError(
            f"harness.evaluate: unknown options {unknown}; see harness.pipeline.options.RunOptions"
        )
    spec = get_protocol(protocol)
    chosen = [leg] if isinstance(leg, str) else list(leg or [entry.name for entry in spec.legs])
    legs = [spec.leg(leg_name).name for leg_name in chosen]  # an unknown leg fails here, by name
    weights = _checkpoint(model, options.get("cache_dir"))
    run_options = RunOptions(
        data_root=resolve_data_root(data_root),
        out_dir=Path(out_dir),
        device=device,
        **{**options, "weights": [f"{leg_name}={weights}" for leg_name in legs]},
    )
    METHODS.register(name, card)  # for this call only: the pipeline finds methods by name
    _MODELS[name] = model
    try:
        return run_protocol(spec.name, name, run_options, legs=legs)
    finally:
        _MODELS.pop(name, None)
        METHODS.unregister(name)
