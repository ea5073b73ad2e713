"""Reading MATLAB ``.mat`` files that datasets ship (GRID's ``features_and_partitions.mat``,
CUHK03's new-protocol configs).

scipy reads them; it is an optional extra (``pip install 'reid-harness[mat]'``), needed only when
such a file is present. Without it the reader stops with one line naming the file, the package and
the alternative; it never falls back silently to other splits (that would change the numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import DataError

EXTRA = "mat"


def load_mat(path: Path, *, what: str, instead: str = "") -> dict[str, Any]:
    """The variables of ``path`` (``scipy.io.loadmat``); a missing scipy or a corrupt file raises a
    :class:`DataError` naming ``path`` and ``what`` (``instead``: the user's other option)."""
    try:
        from scipy.io import loadmat
    except ImportError as exc:
        alternative = f", or {instead}" if instead else ""
        raise DataError(
            f"{path}: reading {what} needs scipy, which is not installed; install it with "
            f"`pip install 'reid-harness[{EXTRA}]'` (or `pip install scipy`){alternative}"
        ) from exc
    try:
        return loadmat(str(path))
    except Exception as exc:  # scipy raises several types (ValueError, TypeError, OSError) for bad files
        raise DataError(f"{path}: cannot read {what} ({type(exc).__name__}: {exc})") from exc
