"""``harness demo``: make the tiny synthetic world if absent, run hsv-hist on ``single``, print R1..mAP."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import handle_errors, out, progress_bars
from harness.cli.run_output import print_outcomes

DEMO_PROTOCOL = "single"
DEMO_METHOD = "hsv-hist"
DEMO_LEG = "market1501"


@handle_errors
def demo_command(
    cache_dir: Path = typer.Option(
        None, "--cache-dir", help="Where the demo world lives; default: user cache."
    ),
    out_dir: Path = typer.Option(Path("harness-out"), "--out", help="Where the result record is written."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Do not draw progress bars."),
) -> None:
    """A one-minute end-to-end run on the built-in synthetic world (no data or weights needed)."""
    from harness.data.base import SYNTH_MARKER
    from harness.data.synth import synthesize
    from harness.paths import cache_dir as resolve_cache_dir
    from harness.runner import RunOptions, run_protocol

    world = resolve_cache_dir(cache_dir) / "synthetic-world-tiny"
    if not (world / SYNTH_MARKER).is_file():
        out.print(f"writing the tiny synthetic world to {world} ...")
        synthesize(world, scale="tiny", seed=0, datasets=["market1501"])
    options = RunOptions(data_root=world, out_dir=out_dir, device="cpu")
    with progress_bars(not no_progress) as hook:
        outcomes = run_protocol(DEMO_PROTOCOL, DEMO_METHOD, options, legs=[DEMO_LEG], progress=hook)
    print_outcomes(outcomes, title=f"demo: {DEMO_METHOD} on {DEMO_PROTOCOL} (synthetic world)")
