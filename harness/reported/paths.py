"""Where the reported-numbers directory lives."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import ConfigError, ResultError

ENV_VAR = "HARNESS_REPORTED_DIR"


def reported_dir() -> Path:
    """The directory holding ``<paper>/paper.yaml`` and ``<paper>/<table>.csv``.

    Looked up in order: the ``HARNESS_REPORTED_DIR`` environment variable;
    ``harness/_builtin/results/reported`` inside an installed package; ``<repository>/results/reported``
    when running from source.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise ConfigError(f"{ENV_VAR}={env!r} is not a directory (expected the reported-numbers folder)")
        return path
    package = Path(__file__).resolve().parent.parent
    candidates = (package / "_builtin" / "results" / "reported", package.parent / "results" / "reported")
    for path in candidates:
        if path.is_dir():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise ResultError(f"no reported-numbers directory found; looked in {looked} (or set {ENV_VAR})")
