"""Optional dependencies: import one, or fail with a one-line error naming the extra to install
(the one place that knows which extra installs what: parquet manifests, MATLAB files)."""

from __future__ import annotations

import importlib
from types import ModuleType

from harness.errors import ConfigError, HarnessError

EXTRAS = {"pyarrow": "parquet", "scipy": "mat"}
"""Import name -> the ``pyproject.toml`` extra that installs it."""


def require(
    module: str, purpose: str, *, error: type[HarnessError] = ConfigError, alternative: str = ""
) -> ModuleType:
    """Import ``module`` (an optional dependency) or raise ``error`` (one line: ``purpose``, the
    package, the extra that installs it and, if given, the user's ``alternative``)."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[top]
        other = f", or {alternative}" if alternative else ""
        raise error(
            f"{purpose} needs {top}, which is optional: pip install 'reid-harness[{extra}]'{other}"
        ) from None
