"""Resolution of the data root, cache directory and output directory.

Precedence, everywhere: the command-line option, else the environment variable, else a default.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import ConfigError

DATA_ENV = "HARNESS_DATA"
CACHE_ENV = "HARNESS_CACHE"


def data_root(option: str | os.PathLike[str] | None = None) -> Path:
    """``--data-root``, else ``$HARNESS_DATA``; there is no default, so users say where data lives."""
    value = option if option is not None else os.environ.get(DATA_ENV)
    if not value:
        raise ConfigError(
            f"no data root given: pass --data-root DIR or set ${DATA_ENV} "
            "(try `harness demo`, which makes its own synthetic world)"
        )
    root = Path(value).expanduser()
    if not root.is_dir():
        raise ConfigError(f"data root {root} does not exist or is not a directory")
    return root.resolve()


def cache_dir(option: str | os.PathLike[str] | None = None) -> Path:
    """``--cache-dir``, else ``$HARNESS_CACHE``, else the user cache dir (``~/.cache/reid-harness``)."""
    value = option if option is not None else os.environ.get(CACHE_ENV)
    if value:
        return Path(value).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("reid-harness")).resolve()
