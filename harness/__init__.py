"""reid-harness: fair, reproducible benchmarks for generalizable and text-based person ReID.

Importing this package is cheap: models, torch and the dataset readers load only when used. The
public entry points are re-exported lazily::

    import harness
    method = harness.load_method("hsv-hist")
    outcomes = harness.run_protocol("single", "hsv-hist", harness.RunOptions(data_root=..., out_dir=...))
    frame = harness.load_results("harness-out")
    outcomes = harness.evaluate(my_model, protocol="single", preprocess={"input_size": (256, 128)})
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_method": "harness.methods.load",
    "run_protocol": "harness.runner",
    "RunOptions": "harness.pipeline.options",
    "load_results": "harness.results.io",
    "evaluate_distances": "harness.metrics",
    "evaluate_features": "harness.metrics",
    "get_protocol": "harness.protocols.registry",
    "synthesize": "harness.data.synth",
    "evaluate": "harness.api",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
