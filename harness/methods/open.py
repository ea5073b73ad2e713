"""Opening a method for a protocol leg: seeded, and built only when an embedding has to be computed.

The cache key needs only the method's *identity* (card, variant, weights kind and checkpoint
sha256, dtype, preprocessing), not its network. :func:`lazy_method` builds that identity without
building the network and returns a :class:`LazyMethod` that calls ``load_method`` the first time
the network is touched (``model``, ``encode_image``, ...). A re-run whose embeddings are all
cached therefore never builds the model or reads the checkpoint; ``load_s`` stays ``None``.

Random-init weights are identified by the torch seed in force when the network is built
(:func:`open_method` re-seeds before every leg) and the torch version; see
:func:`harness.engine.encoder.make_key`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class MethodSettings:
    """How a method is opened for every leg of a run (``harness run``'s method options)."""

    variant: str | None = None
    device: str | None = None
    random_init: bool = False
    trust_checkpoint: bool = False
    dtype: str | None = None


def open_method(
    name: str,
    weights: Path | None,
    settings: MethodSettings,
    *,
    leg: str,
    default_device: str | None = None,
) -> tuple[LazyMethod | MethodAdapter, float]:
    """The method of one protocol leg, seeded and lazily built; returns ``(method, eager_load_s)``.

    Every leg, image or text, starts from :data:`harness.seeding.SEED` (a random-init network then
    depends on the seed alone). ``default_device`` is used when ``settings.device`` is None (under
    torchrun, the rank's GPU). ``eager_load_s`` is the time ``load_method`` took if it ran now (no
    identity probe possible), else ~0: the network is built on first use.
    """
    from harness.methods.load import load_method
    from harness.seeding import seed_everything

    seed_everything()
    common = {
        "variant": settings.variant,
        "device": settings.device or default_device,
        "random_init": settings.random_init,
        "dtype": settings.dtype,
    }
    start = time.perf_counter()
    method = lazy_method(
        {"name": name, "weights": weights, **common},
        lambda: load_method(name, weights, trust_checkpoint=settings.trust_checkpoint, leg=leg, **common),
    )
    return method, time.perf_counter() - start
