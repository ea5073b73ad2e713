"""The one seed every leg starts from, and the call that sets it.

A random-init network depends on this seed alone (its cache key records ``torch.initial_seed()``);
result records list it in ``provenance.seeds``.
"""

from __future__ import annotations

SEED = 0
"""The torch / numpy seed every leg starts from."""


def seed_everything(seed: int = SEED) -> None:
    """Seed torch (every device) and numpy's global generator with ``seed``."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed)
