"""sha256 of files, computed once per process for an unchanged file.

A checkpoint is hashed for the card check, the cache key and the result record; the memo keyed
by (resolved path, size, mtime_ns) makes that one read of the file, and a file rewritten in
place (new size or mtime) is hashed again.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=128)
def _sha256(path: str, size: int, mtime_ns: int, block: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str], block: int = 1 << 20) -> str:
    """Lowercase hex sha256 of the file's bytes (``OSError`` if it cannot be read)."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _sha256(str(resolved), stat.st_size, stat.st_mtime_ns, block)
