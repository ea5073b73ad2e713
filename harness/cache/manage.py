"""Listing, verifying and pruning the embedding cache (the logic behind ``harness cache``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from harness.cache.store import CacheEntry, EmbeddingStore


@dataclass
class EntryInfo:
    """One line of ``harness cache ls``."""

    key: str
    path: Path
    method: str
    role: str
    modality: str
    tta: str
    dtype: str
    n_items: int
    dim: int | None
    complete: bool
    chunks_present: int
    n_chunks: int
    size_bytes: int
    last_used: float
    readable: bool


def describe_entry(entry: CacheEntry) -> EntryInfo:
    """Summary of ``entry`` from its sidecar (chunks are counted, not validated)."""
    meta = entry.read_meta()
    present = len(list(entry.path.glob("chunk-*.safetensors")))
    if meta is None:
        return EntryInfo(
            entry.digest,
            entry.path,
            "?",
            "?",
            "?",
            "?",
            "?",
            0,
            None,
            False,
            present,
            0,
            entry.size_bytes(),
            entry.last_used(),
            False,
        )
    fields = meta.get("key_fields", {})
    method = fields.get("method", {})
    name = method.get("name", "?") + (f"[{method['variant']}]" if method.get("variant") else "")
    return EntryInfo(
        key=entry.digest,
        path=entry.path,
        method=name,
        role=fields.get("role", "?"),
        modality=fields.get("modality", "?"),
        tta=fields.get("tta", "?"),
        dtype=method.get("dtype", "?"),
        n_items=int(meta.get("n_items", 0)),
        dim=meta.get("dim"),
        complete=bool(meta.get("complete")),
        chunks_present=present,
        n_chunks=int(meta.get("n_chunks", 0)),
        size_bytes=entry.size_bytes(),
        last_used=entry.last_used(),
        readable=True,
    )


def list_entries(store: EmbeddingStore) -> list[EntryInfo]:
    return [describe_entry(entry) for entry in store.entries()]


def verify_entry(entry: CacheEntry) -> list[str]:
    """Problems of one entry (empty when every chunk is present and checks out); deletes nothing."""
    if entry.path.is_symlink():
        return ["the entry is a symbolic link, not a folder of the cache (prune removes the link)"]
    meta, problem = entry.read_meta_checked()
    if meta is None:
        return [f"sidecar {problem} (the next run that needs this entry resets it)"]
    problems = []
    for index in range(len(entry.ranges(meta))):
        problem = entry.check_chunk(meta, index)
        if problem is not None:
            problems.append(f"chunk {index}: {problem}")
    return problems


@dataclass
class PrunePlan:
    """What ``prune`` removes: whole entries and stray temporary files."""

    entries: list[tuple[EntryInfo, str]]
    temp_files: list[Path]

    @property
    def bytes(self) -> int:
        return sum(info.size_bytes for info, _ in self.entries) + sum(
            p.stat().st_size for p in self.temp_files if p.exists()
        )


def plan_prune(
    store: EmbeddingStore,
    *,
    older_than_days: float | None = None,
    method: str | None = None,
    incomplete: bool = True,
    everything: bool = False,
) -> PrunePlan:
    """Entries unused for ``older_than_days``, of ``method``, incomplete or unreadable (or all)."""
    now = time.time()
    chosen = []
    for info in list_entries(store):
        reason = None
        if everything:
            reason = "all"
        elif not info.readable:
            reason = "unreadable sidecar"
        elif incomplete and not info.complete and now - info.last_used > 3600:
            reason = "incomplete for more than an hour"
        elif method is not None and info.method.split("[")[0] == method:
            reason = f"method {method}"
        elif older_than_days is not None and now - info.last_used > older_than_days * 86400:
            reason = f"unused for more than {older_than_days:g} days"
        if reason:
            chosen.append((info, reason))
    return PrunePlan(chosen, store.stale_temp_files())


def apply_prune(store: EmbeddingStore, plan: PrunePlan) -> None:
    for info, _ in plan.entries:
        store.remove(CacheEntry(info.path, info.key))
    for path in plan.temp_files:
        path.unlink(missing_ok=True)
