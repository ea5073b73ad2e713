"""Reading MATLAB ``.mat`` files that datasets ship (GRID's ``features_and_partitions.mat``,
CUHK03's new-protocol configs).

scipy reads them; it is an optional extra (``pip install 'reid-harness[mat]'``,
:mod:`harness.extras`), needed only when such a file is present. Without it the reader stops with
one line naming the file, the package, the extra and the alternative; it never falls back silently
to other splits (that would change the numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import DataError


def load_mat(path: Path, *, what: str, instead: str = "") -> dict[str, Any]:
    """The variables of ``path`` (``scipy.io.loadmat``); a missing scipy or a corrupt file raises a
    :class:`DataError` naming ``path`` and ``what`` (``instead``: the user's other option)."""
    from harness.extras import require

    scipy_io = require("scipy.io", f"{path}: reading {what}", error=DataError, alternative=instead)
    try:
        return scipy_io.loadmat(str(path))
    except Exception as exc:  # scipy raises several types (ValueError, TypeError, OSError) for bad files
        raise DataError(f"{path}: cannot read {what} ({type(exc).__name__}: {exc})") from exc
