"""``harness profile --method M``: parameters, FLOPs, latency and throughput, like seed 004's Table 3."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from harness.cli.console import handle_errors, out, styled
from harness.errors import ConfigError

WEIGHTS_NOTE = {
    "random-init": "random init (no checkpoint needed: parameters, FLOPs and timings do not depend on it)",
    "checkpoint": "the given checkpoint",
    "weights-free": "none (the method has no learned weights)",
}


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


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, thousands separated: 0.0412, 4.12, 412, 4,120."""
    if value == 0 or value != value:
        return f"{value:g}"
    from math import floor, log10

    places = digits - 1 - floor(log10(abs(value)))  # negative: round to tens, hundreds, ...
    rounded = round(value, places)
    if rounded and floor(log10(abs(rounded))) > floor(log10(abs(value))):  # 0.9996 -> 1.00, not 1.000
        places -= 1
    return f"{rounded:,.{max(places, 0)}f}"


@handle_errors
def profile_command(
    method: str = typer.Option(..., "--method", "-m", help="Method name or alias."),
    input_size: str = typer.Option(None, "--input", help="HEIGHTxWIDTH; default: the card's input size."),
    weights: Path = typer.Option(
        None, "--weights", help="Checkpoint to load; default: random init (cost does not depend on weights)."
    ),
    random_init: bool = typer.Option(
        False, "--random-init", help="Random weights (the default without --weights; kept for scripts)."
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
    """Params (image/text towers), FLOPs per image/text, latency at batch 1, throughput at --batch-size.

    Needs no checkpoint: without --weights the network is randomly initialised (parameters, FLOPs
    and timings do not depend on the weights), which the output and the JSON say.
    """
    from harness.methods.load import load_method
    from harness.profiling.profile import ProfileSettings, profile_method

    size = parse_input(input_size)
    if json_path is not None and weights is not None:
        from harness.safepaths import refuse_overlap

        refuse_overlap(json_path, [weights], option="--json")  # never write the cost over the checkpoint
    adapter = load_method(
        method,
        weights,
        variant=variant,
        device=device,
        random_init=random_init or weights is None,
        dtype=dtype,
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
    table = Table(
        "measure",
        "value",
        title=f"cost of {cost['method']} ({cost['device']}, {cost['dtype']}, {height}x{width})",
    )
    test_set = cost.get("test_set", {}).get("compute_s")
    rows = {
        "Params image (M)": _m(cost["params"]["image"]),
        "Params text (M)": _m(cost["params"]["text"]),
        "Params total (M)": _m(cost["params"]["total"]),
        "GFLOPs/image": _g(cost["flops_per_image"]),
        "GFLOPs/text": _g(cost["flops_per_text"]),
        "Latency b1 (ms)": significant(cost["latency_image_b1"]["median_ms"]),
        f"Throughput b{batch_size} (img/s)": significant(cost["throughput_image"]["items_per_s"]),
        "Test set (s)": "-" if test_set is None else significant(test_set),
    }
    for name, value in rows.items():
        table.add_row(name, value)
    out.print(table)
    out.print(f"weights: {WEIGHTS_NOTE.get(cost['weights'], cost['weights'])}", soft_wrap=True)
    out.print(
        styled(
            (
                f"FLOPs: {cost['flops_per_image']['convention']} ({cost['flops_per_image']['counter']}); "
                f"timing: {cost['latency_image_b1']['clock']}, median of {iters} after {warmup} warm-up "
                "calls; test-set time is derived from in-memory throughput",
                "dim",
            )
        ),
        soft_wrap=True,
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
