"""Loading a method only when an embedding has to be computed.

The cache key needs only the method's *identity* (card, variant, weights kind and checkpoint
sha256, dtype, preprocessing), not its network. :func:`lazy_method` builds that identity without
building the network and returns a :class:`LazyMethod` that calls ``load_method`` the first time
the network is touched (``model``, ``encode_image``, ...). A re-run whose embeddings are all
cached therefore never builds the model or reads the checkpoint; ``load_s`` stays ``None``.

Random-init weights are identified by the torch seed in force when the network is built (the
runner re-seeds before every leg) and the torch version; see :func:`harness.engine.encoder.make_key`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.methods.adapter import MethodAdapter, WeightsInfo

_LOADED_ATTRS = frozenset({"model", "encode_image", "encode_text", "tokenize"})


class LazyMethod:
    """A :class:`MethodAdapter` stand-in: identity now, network on first use."""

    def __init__(self, probe: MethodAdapter, load: Callable[[], MethodAdapter]) -> None:
        self._probe = probe
        self._load = load
        self._loaded: MethodAdapter | None = None
        self.load_s: float | None = None

    @property
    def is_loaded(self) -> bool:
        return self._loaded is not None

    @property
    def adapter(self) -> MethodAdapter:
        """The real adapter (loading it now if needed; ``load_s`` records how long that took)."""
        if self._loaded is None:
            tick = time.perf_counter()
            self._loaded = self._load()
            self.load_s = time.perf_counter() - tick
        return self._loaded

    @property
    def weights(self) -> WeightsInfo:
        return self._loaded.weights if self._loaded is not None else self._probe.weights

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _LOADED_ATTRS:
            return getattr(self.adapter, name)
        return getattr(self._loaded if self._loaded is not None else self._probe, name)


def identity_probe(
    name: str,
    weights: Path | None,
    *,
    variant: str | None,
    device: str | None,
    random_init: bool,
    dtype: str | None,
) -> MethodAdapter | None:
    """An adapter without a network whose ``identity()`` is that of ``load_method(...)``, or None
    when ``load_method`` would refuse (it is then called directly, to raise its own error)."""
    from harness.hashing import sha256_file
    from harness.methods.load import resolve_device
    from harness.methods.registry import get_card

    card = get_card(name)
    card.family_config_for(variant)  # an unknown variant fails here as in load_method
    if card.weights_free:
        info = WeightsInfo(kind="weights-free")
    elif weights is not None:
        path = Path(weights)
        if not path.is_file():
            return None
        info = WeightsInfo(kind="checkpoint", path=str(path.resolve()), sha256=sha256_file(path))
    elif random_init:
        info = WeightsInfo(kind="random-init")
    else:
        return None
    return MethodAdapter(
        card, None, variant=variant, weights=info, device=resolve_device(device), dtype=dtype
    )


def lazy_method(probe_args: dict[str, Any], load: Callable[[], MethodAdapter]) -> LazyMethod | MethodAdapter:
    """A :class:`LazyMethod` when the identity can be built without the network, else ``load()``."""
    probe = identity_probe(**probe_args)
    return load() if probe is None else LazyMethod(probe, load)


def open_leg_method(method_name: str, weights_path: Path | None, options, leg: str, default_device: str):
    """The method of one protocol leg, seeded and lazily built; returns ``(method, eager_load_s)``.

    Every leg, image or text, starts from the same torch/numpy seed (a random-init network then
    depends on the seed alone). ``eager_load_s`` is the time ``load_method`` took if it ran now
    (no identity probe possible), else ~0: the network is built on first use.
    """
    import numpy as np
    import torch

    from harness.methods.load import load_method
    from harness.results.build import SEED

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    settings = {
        "variant": options.variant,
        "device": options.device or default_device,
        "random_init": options.random_init,
        "dtype": options.dtype,
    }
    start = time.perf_counter()
    method = lazy_method(
        {"name": method_name, "weights": weights_path, **settings},
        lambda: load_method(
            method_name, weights_path, trust_checkpoint=options.trust_checkpoint, leg=leg, **settings
        ),
    )
    return method, time.perf_counter() - start
