"""``harness profile --method M``: parameters, FLOPs, latency and throughput, like seed 004's Table 3."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from harness.cli.console import handle_errors, out
from harness.errors import ConfigError

MAX_INPUT_SIDE = 2048


def _is_cost_json(head: bytes) -> bool:
    """An earlier ``--json`` output: a JSON object with the cost block's keys."""
    try:
        payload = json.loads(head)
    except ValueError:
        return False
    return isinstance(payload, dict) and {"method", "params", "flops_per_image"} <= payload.keys()


def parse_input(value: str | None) -> tuple[int, int] | None:
    """``"384x128"`` -> ``(384, 128)`` (height x width)."""
    if value is None:
        return None
    try:
        height, width = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--input must be HEIGHTxWIDTH such as 384x128, got {value!r}") from None
    if height < 1 or width < 1:
        raise ConfigError(f"--input sizes must be positive, got {value!r}")
    if max(height, width) > MAX_INPUT_SIDE:
        raise ConfigError(
            f"--input {value}: each side may be at most {MAX_INPUT_SIDE} pixels (person crops are "
            "a few hundred; a larger input would need more memory than profiling is meant to use)"
        )
    return height, width


def _m(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f}"


def _g(block: dict | None) -> str:
    return "-" if block is None else f"{block['gflops']:.2f}"


@handle_errors
def profile_command(
    method: str = typer.Option(..., "--method", "-m", help="Method name or alias."),
    input_size: str = typer.Option(None, "--input", help="HEIGHTxWIDTH; default: the card's input size."),
    weights: Path = typer.Option(None, "--weights", help="Checkpoint to load (else --random-init)."),
    random_init: bool = typer.Option(
        False, "--random-init", help="Random weights (cost does not depend on them)."
    ),
    variant: str = typer.Option(None, "--variant", help="Method variant from its card."),
    device: str = typer.Option(None, "--device", help="cpu or cuda[:N]; default: cuda when available."),
    dtype: str = typer.Option(None, "--dtype", help="fp32, fp16 or bf16; default: the method's own."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Batch for the throughput measurement."),
    iters: int = typer.Option(10, "--iters", min=1, help="Timed calls per measurement."),
    warmup: int = typer.Option(3, "--warmup", min=0, help="Untimed calls before timing."),
    test_images: int = typer.Option(
        0, "--test-images", min=0, help="Images of a test set to time (derived)."
    ),
    test_texts: int = typer.Option(0, "--test-texts", min=0, help="Texts of a test set to time (derived)."),
    json_path: Path = typer.Option(None, "--json", help="Also write the cost block as JSON here."),
) -> None:
    """Params (image/text towers), FLOPs per image/text, latency at batch 1, throughput at --batch-size."""
    from harness.methods.load import load_method
    from harness.profiling.profile import ProfileSettings, profile_method

    size = parse_input(input_size)
    if json_path is not None and weights is not None:
        from harness.safepaths import refuse_overlap

        refuse_overlap(json_path, [weights], option="--json")  # never write the cost over the checkpoint
    adapter = load_method(
        method, weights, variant=variant, device=device, random_init=random_init, dtype=dtype
    )
    settings = ProfileSettings(
        input_size=size,
        batch_size=batch_size,
        warmup=warmup,
        iters=iters,
        test_images=test_images,
        test_texts=test_texts,
    )
    cost = profile_method(adapter, settings)
    height, width = cost["input_size"]
    table = Table(title=f"cost of {cost['method']} ({cost['device']}, {cost['dtype']}, {height}x{width})")
    for name in (
        "Method",
        "Params image (M)",
        "Params text (M)",
        "Params total (M)",
        "GFLOPs/image",
        "GFLOPs/text",
        "Latency b1 (ms)",
        f"Throughput b{batch_size} (img/s)",
        "Test set (s)",
    ):
        table.add_column(name, justify="right")
    test_set = cost.get("test_set", {}).get("compute_s")
    table.add_row(
        cost["method"],
        _m(cost["params"]["image"]),
        _m(cost["params"]["text"]),
        _m(cost["params"]["total"]),
        _g(cost["flops_per_image"]),
        _g(cost["flops_per_text"]),
        f"{cost['latency_image_b1']['median_ms']:.2f}",
        f"{cost['throughput_image']['items_per_s']:,.0f}",
        "-" if test_set is None else f"{test_set:.1f}",
    )
    out.print(table)
    out.print(
        f"[dim]FLOPs: {cost['flops_per_image']['convention']} ({cost['flops_per_image']['counter']}); "
        f"timing: {cost['latency_image_b1']['clock']}, median of {iters} after {warmup} warm-up calls; "
        "test-set time is derived from in-memory throughput[/]"
    )
    if json_path is not None:
        from harness.atomic import write_owned

        data = (json.dumps(cost, indent=2) + "\n").encode()
        write_owned(
            json_path,
            lambda tmp: tmp.write_bytes(data),
            what="a cost block",
            ours=_is_cost_json,
            option="--json",
        )
        out.print(f"wrote {json_path}")
