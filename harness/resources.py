"""Where the built-in method and protocol definitions live.

From a source checkout or an editable install they are the repository's top-level ``methods/``,
``protocols/`` and ``results/`` folders; a built wheel ships them inside the package as
``harness/_builtin/<name>`` (see ``[tool.hatch.build.targets.wheel.force-include]``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """Return the built-in ``methods``, ``protocols`` or ``results`` folder.

    Raises:
        FileNotFoundError: neither the wheel location nor the source checkout has it (a broken install).
    """
    for candidate in (_PACKAGE_DIR / "_builtin" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"built-in folder {name!r} not found in {_PACKAGE_DIR / '_builtin'} or {_PACKAGE_DIR.parent}; "
        "the reid-harness installation is incomplete"
    )
