"""The content-addressed embedding store: one folder per key, embeddings in safetensors chunks.

Layout under the cache root::

    embeddings/v1/<kk>/<key>/           kk = the key's first two hex digits
        meta.json                       sidecar: the hashed key fields in clear, chunking, dim,
                                        completeness, and unhashed description (dataset, device,
                                        batch size, versions) so a stale entry can be explained
        chunk-000000.safetensors        rows [0, chunk_rows): tensors ``embeddings`` (float32
        chunk-000001.safetensors        [rows, D]) and ``valid`` (uint8 [rows], 0 = undecodable
        ...                             item) with metadata key, chunk, start, stop, sha256, bad
        entry.lock                      cross-process lock of the writers of this entry
        used                            touched on every cache hit (``prune --older-than``)

Every file is written atomically. A chunk is only ever read after its metadata (key, index, row
range) and the sha256 of its bytes check out; anything else (missing, truncated, corrupted, from
another key) counts as absent, is deleted and is recomputed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.atomic import TMP_SUFFIX, write_atomic, write_json_atomic
from harness.cache.keys import CACHE_FORMAT_VERSION, EmbeddingKey

DEFAULT_CHUNK_ROWS = 4096
LOCK_TIMEOUT_S = 24 * 3600.0


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _data_digest(embeddings: np.ndarray, valid: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(valid, dtype=np.uint8).tobytes())
    return digest.hexdigest()


@dataclass
class Chunk:
    """One validated chunk: rows ``start .. stop`` of an entry."""

    index: int
    start: int
    stop: int
    embeddings: np.ndarray  # float32 [rows, D]
    valid: np.ndarray  # bool [rows]
    bad: dict[int, str]  # absolute row -> why the item could not be decoded


class CacheEntry:
    """The folder of one key. Create with :meth:`EmbeddingStore.entry`."""

    def __init__(self, path: Path, digest: str) -> None:
        self.path = path
        self.digest = digest

    # -- files ----------------------------------------------------------------------------------
    @property
    def meta_path(self) -> Path:
        return self.path / "meta.json"

    def chunk_path(self, index: int) -> Path:
        return self.path / f"chunk-{index:06d}.safetensors"

    def lock(self, timeout: float = LOCK_TIMEOUT_S):
        """A cross-process :class:`filelock.FileLock` on this entry's writers."""
        from filelock import FileLock

        if self.path.is_symlink() or (self.path.exists() and not self.path.is_dir()):
            _remove_quietly(self.path)  # a stray file or link where the entry's folder belongs
        self.path.mkdir(parents=True, exist_ok=True)
        if _not_a_file(self.path / "entry.lock"):
            _remove_quietly(self.path / "entry.lock")
        return FileLock(str(self.path / "entry.lock"), timeout=timeout)

    def read_meta(self) -> dict[str, Any] | None:
        """The sidecar, or None when absent, unreadable or not valid (see :func:`sidecar_problem`)."""
        meta, problem = self.read_meta_checked()
        return meta if problem is None else None

    def read_meta_checked(self) -> tuple[dict[str, Any] | None, str | None]:
        """``(sidecar, None)`` when valid, else ``(None, what is wrong)``."""
        path = self.meta_path
        if path.is_symlink() or (path.exists() and not path.is_file()):
            return None, "meta.json is not a regular file"
        try:
            meta = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None, "meta.json is missing"
        except (OSError, ValueError, RecursionError) as exc:  # JSON and UTF-8 errors are ValueErrors
            return None, f"meta.json is unreadable ({type(exc).__name__}: {exc})"
        problem = sidecar_problem(meta, self.digest)
        return (meta, None) if problem is None else (None, f"meta.json is invalid: {problem}")

    # -- creation -------------------------------------------------------------------------------
    def open(self, key: EmbeddingKey, *, chunk_rows: int, describe: dict[str, Any]) -> dict[str, Any]:
        """Read the sidecar, or (re)create it when absent or not matching ``key``.

        An existing entry keeps its own ``chunk_rows`` so that chunks written by an interrupted
        run with other settings stay usable. Call under :meth:`lock` when other writers may exist.
        """
        meta = self.read_meta()
        if meta is not None and meta.get("key_fields") == _jsonable(key.fields()):
            return meta
        if meta is not None or self.path.exists():
            self.clear_chunks()
        meta = {
            "format": CACHE_FORMAT_VERSION,
            "key": self.digest,
            "key_fields": key.fields(),
            "n_items": key.n_items,
            "chunk_rows": int(chunk_rows),
            "n_chunks": _n_chunks(key.n_items, chunk_rows),
            "dim": None,
            "complete": False,
            "created_utc": _now(),
            "updated_utc": _now(),
            "describe": describe,
        }
        write_json_atomic(self.meta_path, meta, sort_keys=True)
        return meta

    def clear_chunks(self) -> None:
        for path in self.path.glob("chunk-*.safetensors"):
            path.unlink(missing_ok=True)

    # -- chunks ---------------------------------------------------------------------------------
    @staticmethod
    def ranges(meta: dict[str, Any]) -> list[tuple[int, int]]:
        """``(start, stop)`` row range of every chunk."""
        n, rows = int(meta["n_items"]), int(meta["chunk_rows"])
        return [(s, min(n, s + rows)) for s in range(0, n, rows)]

    def read_chunk(self, meta: dict[str, Any], index: int, *, delete_bad: bool = True) -> Chunk | None:
        """Chunk ``index`` if present and valid; a corrupted file is deleted (if ``delete_bad``)."""
        path = self.chunk_path(index)
        if _not_a_file(path):
            if delete_bad:
                _remove_quietly(path)
            return None
        if not path.is_file():
            return None
        chunk, problem = self._load(meta, index, path)
        if chunk is None and delete_bad:
            path.unlink(missing_ok=True)
        return chunk if problem is None else None

    def check_chunk(self, meta: dict[str, Any], index: int) -> str | None:
        """None when chunk ``index`` is present and valid, else what is wrong (nothing is deleted)."""
        path = self.chunk_path(index)
        if _not_a_file(path):
            return "not a regular file (a folder or a link where a chunk belongs)"
        if not path.is_file():
            return "missing"
        return self._load(meta, index, path)[1]

    def _load(self, meta: dict[str, Any], index: int, path: Path) -> tuple[Chunk | None, str | None]:
        from safetensors import safe_open

        start, stop = self.ranges(meta)[index]
        try:
            with safe_open(str(path), framework="np") as handle:
                info = handle.metadata() or {}
                embeddings = handle.get_tensor("embeddings")
                valid = handle.get_tensor("valid")
        except Exception as exc:  # safetensors raises its own error types for truncated headers/data
            return None, f"unreadable ({type(exc).__name__}: {exc})"
        expected = {"key": self.digest, "chunk": str(index), "start": str(start), "stop": str(stop)}
        for name, value in expected.items():
            if info.get(name) != value:
                return None, f"metadata {name}={info.get(name)!r}, expected {value!r}"
        if embeddings.ndim != 2 or embeddings.shape[0] != stop - start or valid.shape != (stop - start,):
            return None, f"shape {embeddings.shape}/{valid.shape} does not match rows {start}..{stop}"
        if meta.get("dim") is not None and embeddings.shape[1] != int(meta["dim"]):
            return None, f"dimension {embeddings.shape[1]} differs from the entry's {meta['dim']}"
        if _data_digest(embeddings, valid) != info.get("sha256"):
            return None, "sha256 of the data does not match (corrupted)"
        bad = {int(k): v for k, v in json.loads(info.get("bad", "{}")).items()}
        return Chunk(
            index, start, stop, embeddings.astype(np.float32, copy=False), valid.astype(bool), bad
        ), None

    def write_chunk(
        self, index: int, start: int, embeddings: np.ndarray, valid: np.ndarray, bad: dict[int, str]
    ) -> None:
        """Write one chunk atomically (rows ``start .. start + len(embeddings)``)."""
        from safetensors.numpy import save_file

        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        valid = np.ascontiguousarray(valid, dtype=np.uint8)
        metadata = {
            "key": self.digest,
            "chunk": str(index),
            "start": str(start),
            "stop": str(start + len(embeddings)),
            "sha256": _data_digest(embeddings, valid),
            "bad": json.dumps({str(k): v for k, v in sorted(bad.items())}),
        }
        write_atomic(
            self.chunk_path(index),
            lambda tmp: save_file({"embeddings": embeddings, "valid": valid}, str(tmp), metadata=metadata),
        )

    def mark_complete(self, meta: dict[str, Any], dim: int) -> dict[str, Any]:
        """Record ``dim`` and completeness in the sidecar (atomically)."""
        meta = {**meta, "dim": int(dim), "complete": True, "updated_utc": _now()}
        write_json_atomic(self.meta_path, meta, sort_keys=True)
        return meta

    def touch_used(self) -> None:
        used = self.path / "used"
        with contextlib.suppress(OSError):
            used.touch()

    def last_used(self) -> float:
        for path in (self.path / "used", self.meta_path):
            if path.exists():
                return path.stat().st_mtime
        return 0.0

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


def _not_a_file(path: Path) -> bool:
    """Something other than a regular file (a folder, a link, a FIFO) sits at ``path``."""
    return path.is_symlink() or (path.exists() and not path.is_file())


def _remove_quietly(path: Path) -> None:
    """Remove ``path`` itself: a link is unlinked (its target untouched), a real folder deleted."""
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def sidecar_problem(meta: Any, digest: str) -> str | None:
    """Why ``meta`` is not a valid sidecar of the entry ``digest``, or None.

    Schema: ``format`` (the cache format), ``key`` (= ``digest``), ``key_fields`` (an object whose
    canonical JSON hashes to ``digest``, so the fields in clear are the ones hashed), ``n_items``
    (= ``key_fields.n_items``, >= 0), ``chunk_rows`` (>= 1), ``n_chunks`` (= ceil(n_items /
    chunk_rows)), ``dim`` (null or >= 1; not null when ``complete``), ``complete`` (bool),
    ``created_utc``/``updated_utc`` (strings), ``describe`` (an object).
    """
    from harness.cache.keys import canonical_json

    if not isinstance(meta, dict):
        return f"expected a JSON object, found {type(meta).__name__}"
    if meta.get("format") != CACHE_FORMAT_VERSION:
        return f"format is {meta.get('format')!r}, expected {CACHE_FORMAT_VERSION}"
    if meta.get("key") != digest:
        return f"key is {str(meta.get('key'))[:16]!r}..., not this entry's {digest[:16]}..."
    fields = meta.get("key_fields")
    if not isinstance(fields, dict):
        return f"key_fields must be an object, found {type(fields).__name__}"
    try:
        hashed = hashlib.sha256(canonical_json(fields).encode()).hexdigest()
    except (TypeError, ValueError) as exc:
        return f"key_fields cannot be hashed ({exc})"
    if hashed != digest:
        return "key_fields do not hash to the entry's key (edited or from another entry)"
    n_items, rows, n_chunks, dim = (meta.get(k) for k in ("n_items", "chunk_rows", "n_chunks", "dim"))
    if not _is_int(n_items) or n_items < 0 or n_items != fields.get("n_items"):
        return f"n_items is {n_items!r}, expected the key's {fields.get('n_items')!r}"
    if not _is_int(rows) or rows < 1:
        return f"chunk_rows is {rows!r}, expected an integer >= 1"
    if not _is_int(n_chunks) or n_chunks != _n_chunks(n_items, rows):
        return f"n_chunks is {n_chunks!r}, expected {_n_chunks(n_items, rows)} for {n_items} rows"
    if not isinstance(meta.get("complete"), bool):
        return f"complete is {meta.get('complete')!r}, expected true or false"
    if dim is not None and (not _is_int(dim) or dim < 1):
        return f"dim is {dim!r}, expected null or an integer >= 1"
    if meta["complete"] and dim is None:
        return "complete is true but dim is null"
    for name in ("created_utc", "updated_utc"):
        if not isinstance(meta.get(name), str):
            return f"{name} must be a string"
    if not isinstance(meta.get("describe"), dict):
        return "describe must be an object"
    return None


def _n_chunks(n_items: int, chunk_rows: int) -> int:
    return (n_items + chunk_rows - 1) // chunk_rows


def _jsonable(payload: Any) -> Any:
    """``payload`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(payload))


class EmbeddingStore:
    """The embedding cache under ``root`` (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def base(self) -> Path:
        return self.root / "embeddings" / f"v{CACHE_FORMAT_VERSION}"

    def entry(self, key: EmbeddingKey | str) -> CacheEntry:
        digest = key if isinstance(key, str) else key.digest
        return CacheEntry(self.base / digest[:2] / digest, digest)

    def entries(self) -> Iterator[CacheEntry]:
        """Every entry folder, in key order."""
        if not self.base.is_dir():
            return
        for shard in sorted(self.base.iterdir()):
            if shard.is_dir() and not shard.is_symlink():
                for path in sorted(shard.iterdir()):
                    if path.is_dir() or path.is_symlink():
                        yield CacheEntry(path, path.name)

    def stale_temp_files(self, older_than_s: float = 3600.0) -> list[Path]:
        """Temporary files left by interrupted writers (older than ``older_than_s``)."""
        if not self.base.is_dir():
            return []
        cutoff = time.time() - older_than_s
        return [p for p in self.base.rglob(f".*{TMP_SUFFIX}") if p.lstat().st_mtime < cutoff]

    def remove(self, entry: CacheEntry) -> None:
        """Delete one entry under its lock. Links are removed, never followed: nothing outside
        the cache folder is touched even when an entry (or a file in it) is a symlink."""
        if entry.path.is_symlink() or not entry.path.is_dir():
            entry.path.unlink(missing_ok=True)
            return
        with entry.lock():
            for path in entry.path.iterdir():
                if path.name != "entry.lock":
                    _remove_quietly(path)
        shutil.rmtree(entry.path, ignore_errors=True)
