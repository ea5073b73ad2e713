"""``harness profile --method M [--method M2 ...]``: parameters, FLOPs, latency, throughput and the
test-set time of each method, printed as one cost card per method or, with ``--format
md|latex|csv|html``, as the complexity table (seed 004 Table 3 shape, :mod:`harness.reports.complexity`).
``harness text complexity`` is an alias of the latter."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from harness.cli.console import err, handle_errors, out, styled
from harness.errors import ConfigError

WEIGHTS_NOTE = {
    "random-init": "random init (no checkpoint needed: parameters, FLOPs and timings do not depend on it)",
    "checkpoint": "the given checkpoint",
    "weights-free": "none (the method has no learned weights)",
}


MAX_INPUT_SIDE = 2048


def _is_cost_json(head: bytes) -> bool:
    """An earlier ``--json`` output: a cost block (a JSON object with its keys) or a list of them."""
    try:
        payload = json.loads(head)
    except ValueError:
        return False
    blocks = payload if isinstance(payload, list) and payload else [payload]
    return all(isinstance(b, dict) and {"method", "params", "flops_per_image"} <= b.keys() for b in blocks)


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


TABLE_FORMATS = ("md", "latex", "csv", "html")
"""Formats of the complexity table (the shared renderers, :mod:`harness.reports.render`)."""


def parse_weights(specs: list[str] | None, methods: list[str]) -> dict[str, Path]:
    """``--weights`` values -> ``method -> checkpoint``: ``METHOD=PATH`` (repeatable), or a bare
    ``PATH`` when exactly one ``--method`` is given."""
    checkpoints: dict[str, Path] = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if len(methods) == 1 and (not sep or Path(spec).exists()):
            checkpoints[methods[0]] = Path(spec)  # a bare PATH (a file name may hold '=')
        elif not (sep and name and path):
            raise ConfigError(f"--weights {spec!r}: expected METHOD=PATH (or PATH with one --method)")
        elif name not in methods:
            raise ConfigError(f"--weights names {name!r}, which is not among --method {methods}")
        else:
            checkpoints[name] = Path(path)
    return checkpoints


def _print_cost_card(cost: dict, settings) -> None:
    """One method's cost as a two-column table, its weights and its measurement conventions."""
    height, width = cost["input_size"]
    table = Table(
        "measure",
        "value",
        title=f"cost of {cost['method']} ({cost['device']}, {cost['dtype']}, {height}x{width})",
    )
    test_set = cost.get("test_set", {})
    seconds = test_set.get("compute_s")
    rows = {
        "Params image (M)": _m(cost["params"]["image"]),
        "Params text (M)": _m(cost["params"]["text"]),
        "Params total (M)": _m(cost["params"]["total"]),
        "GFLOPs/image": _g(cost["flops_per_image"]),
        "GFLOPs/text": _g(cost["flops_per_text"]),
        "Latency b1 (ms)": significant(cost["latency_image_b1"]["median_ms"]),
        f"Throughput b{settings.batch_size} (img/s)": significant(cost["throughput_image"]["items_per_s"]),
        "Test set (s)": "-" if seconds is None else significant(seconds),
    }
    for name, value in rows.items():
        table.add_row(name, value)
    out.print(table)
    out.print(f"weights: {WEIGHTS_NOTE.get(cost['weights'], cost['weights'])}", soft_wrap=True)
    how = (
        "test-set time measured by encoding every item"
        if test_set.get("how") == "measured"
        else "test-set time is extrapolated from in-memory throughput"
    )
    out.print(
        styled(
            (
                f"FLOPs: {cost['flops_per_image']['convention']} ({cost['flops_per_image']['counter']}); "
                f"timing: {cost['latency_image_b1']['clock']}, median of {settings.iters} timed calls "
                f"(latency) / {cost['throughput_image']['iters']} timed batches (throughput) after "
                f"{settings.warmup} warm-up calls; {how}",
                "dim",
            )
        ),
        soft_wrap=True,
    )


@handle_errors
def profile_command(
    method: list[str] = typer.Option(..., "--method", "-m", help="Method name or alias (repeatable)."),
    input_size: str = typer.Option(None, "--input", help="HEIGHTxWIDTH; default: each card's input size."),
    weights: list[str] = typer.Option(
        None,
        "--weights",
        help="Checkpoint: PATH (one --method) or METHOD=PATH (repeatable); default: random init "
        "(cost does not depend on weights).",
    ),
    random_init: bool = typer.Option(
        False, "--random-init", help="Random weights (the default without --weights; kept for scripts)."
    ),
    own_weights: bool = typer.Option(
        False,
        "--own-weights",
        help="Without --weights, load each card's own weights (or fail naming the checkpoint) "
        "instead of random init.",
    ),
    variant: str = typer.Option(None, "--variant", help="Method variant from its card."),
    device: str = typer.Option(None, "--device", help="cpu or cuda[:N]; default: cuda when available."),
    dtype: str = typer.Option(None, "--dtype", help="fp32, fp16 or bf16; default: the method's own."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Batch for the throughput measurement."),
    iters: int = typer.Option(
        10, "--iters", min=1, help="Timed calls per latency; throughput takes max(3, ITERS // 2) batches."
    ),
    warmup: int = typer.Option(3, "--warmup", min=0, help="Untimed calls before timing."),
    test_images: int = typer.Option(
        0, "--test-images", "--images", min=0, help="Images of a test set to time (CUHK-PEDES: 3,074)."
    ),
    test_texts: int = typer.Option(
        0, "--test-texts", "--texts", min=0, help="Captions of a test set to time (CUHK-PEDES: 6,156)."
    ),
    measure_all: bool = typer.Option(
        False, "--measure-all", help="Time the test set by encoding every item instead of extrapolating."
    ),
    results: Path = typer.Option(
        None, "--results", help="Results folder: add R1/mAP of each method's t2i record on --dataset."
    ),
    dataset: str = typer.Option("cuhk-pedes", "--dataset", help="Test set of the R1/mAP columns."),
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        help="table (one cost card per method) or the complexity table (seed 004 Table 3 shape) as "
        "md, latex, csv (footnotes on stderr) or html.",
    ),
    json_path: Path = typer.Option(None, "--json", help="Also write the cost block(s) as JSON here."),
    trust_checkpoint: bool = typer.Option(
        False, "--trust-checkpoint", help="Allow full pickles in --weights checkpoints (can run code)."
    ),
) -> None:
    """Params (image/text towers), FLOPs per image/text, latency at batch 1, throughput at --batch-size
    and the test-set time, per --method; with --format md|latex|csv|html, one complexity table.

    Needs no checkpoint: without --weights the network is randomly initialised (parameters, FLOPs
    and timings do not depend on the weights), which the output and the JSON say.
    """
    from harness.methods.load import load_method
    from harness.profiling.profile import ProfileSettings, profile_method

    if fmt not in ("table", *TABLE_FORMATS):
        raise ConfigError(f"--format {fmt!r}: expected one of table, {', '.join(TABLE_FORMATS)}")
    if results is not None and fmt == "table":
        raise ConfigError(
            f"--results adds R1/mAP columns to the complexity table; give --format {'|'.join(TABLE_FORMATS)}"
        )
    if fmt != "table" and not (test_images or test_texts):
        raise ConfigError(
            f"--format {fmt} prints the complexity table, whose time column needs a test set: give "
            "--test-texts and/or --test-images (CUHK-PEDES: 6156 and 3074)"
        )
    if random_init and own_weights:
        raise ConfigError("give --random-init or --own-weights, not both")
    size = parse_input(input_size)
    checkpoints = parse_weights(weights, method)
    if json_path is not None and checkpoints:
        from harness.safepaths import refuse_overlap

        refuse_overlap(json_path, list(checkpoints.values()), option="--json")  # never over a checkpoint
    measured = None
    if results is not None:
        from harness.data.registry import DATASETS
        from harness.errors import RegistryError
        from harness.reports.measured import load_measured

        try:
            dataset = DATASETS.canonical(dataset)
        except RegistryError as exc:
            raise ConfigError(f"--dataset: {exc}") from None
        measured = load_measured(results)  # a bad folder fails before anything is profiled
    settings = ProfileSettings(
        input_size=size,
        batch_size=batch_size,
        warmup=warmup,
        iters=iters,
        test_images=test_images,
        test_texts=test_texts,
        measure_all=measure_all,
    )
    costs = []
    for name in method:
        if len(method) > 1:
            err.print(f"profiling {name} ...")
        adapter = load_method(
            name,
            checkpoints.get(name),
            variant=variant,
            device=device,
            random_init=not own_weights,
            dtype=dtype,
            trust_checkpoint=trust_checkpoint,
        )
        try:
            costs.append(profile_method(adapter, settings))
        except ConfigError as exc:
            where = f"--input {input_size}" if input_size else "its card's input size"
            raise ConfigError(f"method {name!r} at {where}: {exc}") from exc
    if fmt == "table":
        for cost in costs:
            _print_cost_card(cost, settings)
    else:
        _print_complexity(costs, fmt, measured, dataset, results)
    if json_path is not None:
        from harness.atomic import write_owned

        payload = costs[0] if len(costs) == 1 else costs
        data = (json.dumps(payload, indent=2) + "\n").encode()
        write_owned(
            json_path,
            lambda tmp: tmp.write_bytes(data),
            what="a cost block",
            ours=_is_cost_json,
            option="--json",
        )
        (out if fmt == "table" else err).print(f"wrote {json_path}")


def _print_complexity(costs: list[dict], fmt: str, measured, dataset: str, results: Path | None) -> None:
    """The complexity table through the shared renderers (CSV: footnotes on stderr)."""
    from harness.reports.complexity import complexity_table, t2i_accuracy
    from harness.reports.render import render

    accuracy = None
    if measured is not None:
        accuracy = t2i_accuracy(measured, dataset)
        if not accuracy:
            err.print(styled(("warning:", "yellow"), f" no t2i record on {dataset} in {results} has R1/mAP"))
    table = complexity_table(costs, accuracy=accuracy, dataset=dataset)
    typer.echo(render(table, fmt), nl=False)
    if fmt == "csv":
        for i, note in enumerate(table.footnotes, 1):
            err.print(f"note {i}: {note}", soft_wrap=True)
