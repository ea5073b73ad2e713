"""``harness cache ls|verify|prune``: inspect and clean the embedding cache."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import typer

from harness.cli.console import FORMAT_HELP, OutputFormat, emit_rows, err, handle_errors, out, styled

app = typer.Typer(help="Inspect, verify and prune the embedding cache.", no_args_is_help=True)

CACHE_DIR_HELP = "Cache folder; default: $HARNESS_CACHE, else the user cache dir."


def _store(cache_dir: Path | None):
    from harness.cache.store import EmbeddingStore
    from harness.errors import ConfigError
    from harness.paths import cache_dir as resolve

    root = resolve(cache_dir)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"cache directory {root} is a file, expected a folder (pass --cache-dir DIR)")
    return EmbeddingStore(root)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@app.command("ls")
@handle_errors
def ls_command(
    cache_dir: Path = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """One row per cache entry: key, method, role, embeddings (items x dim, dtype, TTA), chunks, size, use.

    The table shows the key's first 12 characters (as ``prune`` does); csv and json carry the full
    key and every field. Keys and methods are never cut, at any width.
    """
    from harness.cache.manage import list_entries

    store = _store(cache_dir)
    infos = list_entries(store)
    if fmt is OutputFormat.table:
        columns = ["key", "method", "role", "embeddings", "chunks", "size", "last used"]
        rows = [
            [
                info.key[:12],
                info.method,
                info.role,
                f"{info.n_items}x{info.dim or '?'} {info.dtype} tta {info.tta}",
                f"{info.chunks_present}/{info.n_chunks}" + ("" if info.complete else " (incomplete)"),
                _size(info.size_bytes),
                _when(info.last_used, "%Y-%m-%d %H:%M") or "-",
            ]
            for info in infos
        ]
        emit_rows(fmt, columns, rows, keys=2, title=f"embedding cache {store.root}")
        out.print(f"{len(infos)} entries, {_size(sum(i.size_bytes for i in infos))}")
        return
    columns = ["key", "method", "role", "modality", "tta", "dtype", "items", "dim", "chunks", "n_chunks"]
    columns += ["complete", "size_bytes", "last_used"]
    rows = [
        [
            info.key,
            info.method,
            info.role,
            info.modality,
            info.tta,
            info.dtype,
            info.n_items,
            info.dim,
            info.chunks_present,
            info.n_chunks,
            info.complete,
            info.size_bytes,
            _when(info.last_used, "%Y-%m-%dT%H:%M:%S"),
        ]
        for info in infos
    ]
    emit_rows(fmt, columns, rows, keys=2)


def _when(timestamp: float, pattern: str) -> str | None:
    return _dt.datetime.fromtimestamp(timestamp).strftime(pattern) if timestamp else None


@app.command("verify")
@handle_errors
def verify_command(cache_dir: Path = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP)) -> None:
    """Check every chunk of every entry (metadata and sha256); exit 1 if any is damaged."""
    from harness.cache.manage import verify_entry

    store = _store(cache_dir)
    damaged = 0
    total = 0
    for entry in store.entries():
        total += 1
        problems = verify_entry(entry)
        if problems:
            damaged += 1
            err.print(styled(("damaged", "red"), f" {entry.digest[:12]} ({entry.path}):"))
            for problem in problems:
                err.print(f"  {problem}", highlight=False, markup=False)
    out.print(f"{total - damaged} of {total} entries intact")
    if damaged:
        err.print(
            "damaged chunks are recomputed on the next run that needs them; "
            "`harness cache prune` removes incomplete entries"
        )
        raise typer.Exit(1)


@app.command("prune")
@handle_errors
def prune_command(
    cache_dir: Path = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
    older_than: float = typer.Option(None, "--older-than", help="Remove entries unused for this many days."),
    method: str = typer.Option(None, "--method", help="Remove every entry of this method."),
    everything: bool = typer.Option(False, "--all", help="Remove every entry."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed."),
) -> None:
    """Remove unused, incomplete or unreadable entries and stray temporary files."""
    import math

    from harness.cache.manage import apply_prune, plan_prune
    from harness.errors import ConfigError

    if older_than is not None and not (math.isfinite(older_than) and older_than >= 0):
        raise ConfigError(
            f"--older-than must be a number of days >= 0, got {older_than:g} "
            "(a negative or non-finite age would select every entry or none); use --all to remove everything"
        )
    store = _store(cache_dir)
    plan = plan_prune(store, older_than_days=older_than, method=method, everything=everything)
    for info, reason in plan.entries:
        out.print(
            f"{'would remove' if dry_run else 'remove'} {info.key[:12]} {info.method} {info.role} "
            f"({_size(info.size_bytes)}): {reason}",
            highlight=False,
            markup=False,
        )
    for path in plan.temp_files:
        out.print(
            f"{'would remove' if dry_run else 'remove'} temporary file {path}", highlight=False, markup=False
        )
    if not dry_run:
        apply_prune(store, plan)
    out.print(f"{'would free' if dry_run else 'freed'} {_size(plan.bytes)}")
