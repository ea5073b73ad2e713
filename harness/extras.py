"""Optional dependencies: import one, or fail with a one-line error naming the extra to install.

(MATLAB files have their own reader with the same kind of message: :mod:`harness.data.matfile`.)
"""

from __future__ import annotations

import importlib
from types import ModuleType

from harness.errors import ConfigError

EXTRAS = {"pyarrow": "parquet"}
"""Import name -> the ``pyproject.toml`` extra that installs it."""


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (an optional dependency) or raise ``ConfigError`` naming its extra."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[top]
        raise ConfigError(
            f"{purpose} needs {top}, which is optional: pip install 'reid-harness[{extra}]'"
        ) from None
