"""``harness run --protocol P --method M``: evaluate a method on a protocol and write result records."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from typer.core import TyperCommand

from harness.cli.console import OutputFormat, err, handle_errors, progress_bars
from harness.cli.run_output import RunPrinter, print_outcomes

__all__ = ["print_outcomes", "run_command"]

DEFAULT_OUT = Path("harness-out")
OPTIONAL_VALUE_OPTIONS = ("--rerank", "--aqe")
"""Options whose parameters may be omitted (``--rerank`` alone means the defaults)."""


class RunCommand(TyperCommand):
    """``harness run``: ``--rerank`` / ``--aqe`` without ``key=value`` parameters mean the defaults."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        from harness.protocols.run_settings import DEFAULT

        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg in OPTIONAL_VALUE_OPTIONS:
                following = args[i + 1] if i + 1 < len(args) else None
                if following is None or following.startswith("-") or "=" not in following:
                    fixed.append(DEFAULT)
        return super().parse_args(ctx, fixed)


@handle_errors
def run_command(
    protocol: str = typer.Option(
        ..., "--protocol", "-p", help="Protocol name or alias (see `harness list protocols`)."
    ),
    method: str = typer.Option(
        ..., "--method", "-m", help="Method name or alias (see `harness list methods`)."
    ),
    leg: list[str] = typer.Option(None, "--leg", help="Run only this leg (repeatable); default: every leg."),
    data_root: Path = typer.Option(
        None, "--data-root", help="Folder holding the datasets; default: $HARNESS_DATA."
    ),
    device: str = typer.Option(None, "--device", help="cpu or cuda[:N]; default: cuda when available."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out", help="Where result records are written."),
    weights: list[str] = typer.Option(
        None, "--weights", help="Checkpoint: LEG=PATH (repeatable), or PATH for one leg."
    ),
    weights_dir: Path = typer.Option(
        None, "--weights-dir", help="Folder holding the card's checkpoint files."
    ),
    random_init: bool = typer.Option(
        False, "--random-init", help="Smoke run with random weights (not reportable)."
    ),
    trust_checkpoint: bool = typer.Option(
        False, "--trust-checkpoint", help="Allow full pickles (can run code)."
    ),
    variant: str = typer.Option(None, "--variant", help="Method variant from its card."),
    dtype: str = typer.Option(
        None, "--dtype", help="fp32, fp16 or bf16; default: the method's own precision."
    ),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Images per forward pass."),
    workers: int = typer.Option(0, "--workers", min=0, help="DataLoader worker processes."),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Dataset count and checkpoint sha256 mismatches (against the card) are errors, not warnings.",
    ),
    no_progress: bool = typer.Option(
        False, "--no-progress", help="No progress (bars on a terminal, plain lines in pipes and logs)."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table,
        "--format",
        help="table (people): each leg as it finishes, then a summary; csv: a header and one row per leg; "
        "json: JSON Lines, one object per leg (metrics as fractions; notes on stderr).",
    ),
    cache_dir: Path = typer.Option(
        None, "--cache-dir", help="Embedding cache folder; default: $HARNESS_CACHE, else the user cache dir."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the embedding cache."),
    verify_content: bool = typer.Option(
        False, "--verify-content", help="Key the cache by image bytes (sha256) instead of path, size, mtime."
    ),
    flip: bool = typer.Option(False, "--flip", help="Flip test-time augmentation (mean of both embeddings)."),
    compile_model: bool = typer.Option(False, "--compile", help="torch.compile the image encoder."),
    channels_last: bool = typer.Option(False, "--channels-last", help="channels_last memory format."),
    cache_chunk_rows: int = typer.Option(
        4096, "--cache-chunk-rows", min=1, help="Rows per cache chunk (an interrupted run resumes per chunk)."
    ),
    profile: bool = typer.Option(
        False, "--profile", help="Add params, FLOPs, latency and throughput to the record's cost block."
    ),
    rerank: str = typer.Option(
        None,
        "--rerank",
        metavar="[k1=20,k2=6,lambda=0.3]",
        help="k-reciprocal re-ranking; alone: the defaults k1=20,k2=6,lambda=0.3.",
    ),
    aqe: str = typer.Option(
        None,
        "--aqe",
        metavar="[qe_times=1,qe_k=5,alpha=3]",
        help="Average query expansion (fast-reid); alone: the defaults qe_times=1,qe_k=5,alpha=3.",
    ),
    on_bad_image: str = typer.Option(
        "error", "--on-bad-image", help="error: stop at an undecodable image; skip: leave it out and list it."
    ),
    convention: str = typer.Option(
        "method",
        "--convention",
        help="method: score with the method's own distance and feature normalisation (its card); "
        "common: the protocol's, the same for every method.",
    ),
) -> None:
    """Evaluate METHOD on every leg of PROTOCOL (or the --leg ones) and write one JSON per leg."""
    from harness.errors import ConfigError
    from harness.methods import get_card
    from harness.methods.convention import check_convention
    from harness.paths import data_root as resolve_data_root
    from harness.protocols import get_protocol
    from harness.protocols.run_settings import parse_params
    from harness.runner import RunOptions, run_protocol

    spec = get_protocol(protocol)
    get_card(method), check_convention(convention)  # unknown names fail before any work
    rerank_params, aqe_params = parse_params(rerank, "--rerank"), parse_params(aqe, "--aqe")
    if (rerank_params is not None or aqe_params is not None) and any(
        lg.test.query_modality == "text" for lg in spec.legs if not leg or lg.name in leg
    ):
        raise ConfigError("--rerank/--aqe apply to image-query legs; this protocol has text-query legs")
    options = RunOptions(
        data_root=resolve_data_root(data_root),
        out_dir=out_dir,
        device=device,
        batch_size=batch_size,
        num_workers=workers,
        weights=list(weights or []),
        weights_dir=weights_dir,
        random_init=random_init,
        trust_checkpoint=trust_checkpoint,
        variant=variant,
        dtype=dtype,
        strict=strict,
        cache_dir=cache_dir,
        no_cache=no_cache,
        verify_content=verify_content,
        flip=flip,
        compile=compile_model,
        channels_last=channels_last,
        on_bad_image=on_bad_image,
        profile=profile,
        cache_chunk_rows=cache_chunk_rows,
        rerank=rerank_params,
        aqe=aqe_params,
        convention=convention,
    )
    printer = RunPrinter(fmt)
    with progress_bars(not no_progress) as hook:
        try:
            outcomes = run_protocol(
                protocol,
                method,
                options,
                legs=list(leg or []) or None,
                progress=hook,
                on_outcome=printer.leg_done,
            )
        except KeyboardInterrupt:
            kept = (
                "" if no_cache else "; finished cache chunks are kept: run the same command again to resume"
            )
            err.print(f"interrupted: no result was written for the unfinished leg{kept}", highlight=False)
            raise typer.Exit(130) from None
    if not outcomes and int(os.environ.get("RANK", "0")) != 0:
        return  # a torchrun rank other than 0 only encodes its shard; rank 0 scores and prints
    printer.finish(title=f"{method} on {protocol}")
