"""One prepared check of every GPU target, for a GPU machine lent for a few minutes.

Run through ``benchmarks/gpu_check.sh`` (which installs carried wheels without a network first):

    bash benchmarks/gpu_check.sh                 # on the GPU machine: full sizes, CUDA, bf16
    bash benchmarks/gpu_check.sh --dry-run       # anywhere: the same steps on CPU at tiny sizes

Steps (each one timed and recorded; a failing step is recorded with its error and the others go on):

1. ``extract_in_memory``: ViT-B/16 at 256x128 (timm ``vit_base_patch16_224``, random init), bf16,
   batch 512, images already on the device. Target >= 8,000 images/s; the compute ceiling is the
   device's dense bf16 peak divided by the measured FLOPs per image.
2. ``extract_end_to_end``: the same network through the engine's DataLoader (``iter_batches``) from
   JPEG files of a synthetic world written on the spot (its gallery repeated to ``e2e_images``
   paths), decode + resize + normalise on CPU workers. Target >= 2,500 images/s.
3. ``metrics_msmt17``: CMC / mAP / mINP at MSMT17 scale (11,659 x 82,161, 768-d). Target <= 1 s.
4. ``rerank_msmt17``: k-reciprocal re-ranking at MSMT17 scale. Target <= 60 s.
5. ``harness_run``: ``harness run`` on one leg from the command line with ``--device cuda --dtype
   bf16`` (the CLI path, random-init TransReID on the synthetic world).

Writes ``gpu_check.json`` and ``gpu_check.md`` to ``--out``: the device, versions, each figure next to
its target and ceiling. Installs nothing and reaches no network.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BF16_PEAK_TFLOPS = {"H200": 790.0, "H100": 790.0}
"""Dense bf16 matrix-product rates measured on these chips (the device tool's KINDS.md: 769-798
TFLOP/s for an 8192^3 product on an H200); used for the compute ceiling."""


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and settings of one check (full on a GPU, tiny for the dry run)."""

    device: str
    dtype: str
    batch: int
    iters: int
    workers: int
    e2e_images: int
    metrics: dict
    run_method: str
    arch: str = "vit_base_patch16_224"


FULL = Sizes(
    device="cuda",
    dtype="bf16",
    batch=512,
    iters=20,
    workers=min(16, os.cpu_count() or 1),
    e2e_images=20_000,
    metrics={"n_q": 11659, "n_g": 82161, "n_ids": 3060, "n_cams": 15, "dim": 768},
    run_method="transreid",
)
DRY = Sizes(
    device="cpu",
    dtype="bf16",
    batch=2,
    iters=1,
    workers=1,
    e2e_images=4,
    metrics={"n_q": 60, "n_g": 400, "n_ids": 40, "n_cams": 4, "dim": 32},
    run_method="hsv-hist",
    arch="vit_tiny_patch16_224",
)

TARGETS = {
    "extract_in_memory": ("images/s", ">=", 8000.0),
    "extract_end_to_end": ("images/s", ">=", 2500.0),
    "metrics_msmt17": ("s", "<=", 1.0),
    "rerank_msmt17": ("s", "<=", 60.0),
    "harness_run": ("exit status", "==", 0.0),
}


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def environment(sizes: Sizes) -> dict:
    import torch

    import harness

    info = {
        "harness": harness.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": sizes.device,
        "device_name": (
            torch.cuda.get_device_name(0) if sizes.device == "cuda" else platform.processor() or "CPU"
        ),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    try:
        git = ["git", "rev-parse", "HEAD"]
        sha = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False)
        info["git_sha"] = sha.stdout.strip() or None
    except OSError:
        info["git_sha"] = None
    return info


def _vit(sizes: Sizes, world: Path):
    """The engine's view of a random-init ViT-B/16 at 256x128 (the benchmark card of test_bench_engine)."""
    from test_bench_engine import _register

    from harness.methods.load import load_method

    name = _register(world.parent / "bench-methods", f"bench-{sizes.arch}", sizes.arch)
    return load_method(name, device=sizes.device, random_init=True, dtype=sizes.dtype)


def extract_in_memory(sizes: Sizes, world: Path, env: dict) -> dict:
    import torch

    from harness.profiling.flops import count_flops
    from harness.profiling.timing import measure

    method = _vit(sizes, world)
    images = torch.zeros(sizes.batch, 3, 256, 128, device=method.device)
    timing = measure(
        lambda: method.encode_image(images),
        device=method.device,
        items=sizes.batch,
        warmup=2,
        iters=sizes.iters,
    )
    flops = count_flops(lambda: method.encode_image(images[:1])).total
    out = {"value": timing.items_per_s, "gflops_per_image": flops / 1e9, "batch": sizes.batch}
    peak = next((v for k, v in BF16_PEAK_TFLOPS.items() if k in env.get("device_name", "")), None)
    if peak is not None:
        out["ceiling"] = peak * 1e12 / flops
        out["ceiling_note"] = f"{peak:.0f} TFLOP/s bf16 / {flops / 1e9:.1f} GFLOPs per image"
    return out


def extract_end_to_end(sizes: Sizes, world: Path, env: dict) -> dict:
    from harness.data.registry import get_reader
    from harness.engine.extract import ExtractSettings, ExtractStats, iter_batches

    method = _vit(sizes, world)
    gallery = get_reader("market1501").read(world).manifest.select("gallery")
    reps = -(-sizes.e2e_images // len(gallery.paths))
    paths = (list(gallery.paths) * reps)[: sizes.e2e_images]
    camids = (gallery.camids.tolist() * reps)[: sizes.e2e_images]
    settings = ExtractSettings(batch_size=sizes.batch, num_workers=sizes.workers)
    stats = ExtractStats()
    for _ in iter_batches(method, paths, camids, settings, stats=stats):
        pass
    return {
        "value": stats.images_per_s,
        "images": stats.images,
        "distinct_files": len(gallery.paths),
        "workers": sizes.workers,
        "batch": sizes.batch,
        "data_wait_s": stats.data_wait_s,
    }


def _features(sizes: Sizes):
    import torch
    from test_bench_metrics import make_reid_features

    (q, qp, qc), (g, gp, gc) = make_reid_features(**sizes.metrics)
    return torch.from_numpy(q).to(sizes.device), torch.from_numpy(g).to(sizes.device), qp, gp, qc, gc


def metrics_msmt17(sizes: Sizes, world: Path, env: dict) -> dict:
    from harness.metrics import evaluate_features

    q, g, qp, gp, qc, gc = _features(sizes)
    evaluate_features(q[:64], g, qp[:64], gp, qc[:64], gc, device=sizes.device)  # warm-up
    _sync(sizes.device)
    t0 = time.perf_counter()
    res = evaluate_features(q, g, qp, gp, qc, gc, distance="cosine", device=sizes.device)
    _sync(sizes.device)
    return {"value": time.perf_counter() - t0, "R1": res.cmc[0], "mAP": res.mAP, **sizes.metrics}


def rerank_msmt17(sizes: Sizes, world: Path, env: dict) -> dict:
    import torch

    from harness.metrics import evaluate_features

    q, g, qp, gp, qc, gc = _features(sizes)
    if sizes.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    res = evaluate_features(q, g, qp, gp, qc, gc, rerank=True, device=sizes.device, chunk_size=4096)
    _sync(sizes.device)
    out = {"value": time.perf_counter() - t0, "R1": res.cmc[0], "mAP": res.mAP}
    if sizes.device == "cuda":
        out["peak_gpu_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return out


def harness_run(sizes: Sizes, world: Path, env: dict) -> dict:
    out_dir, cache = world.parent / "run-out", world.parent / "run-cache"
    cmd = [
        sys.executable, "-m", "harness", "run", "--protocol", "single", "--method", sizes.run_method,
        "--leg", "market1501", "--data-root", str(world), "--out", str(out_dir), "--cache-dir", str(cache),
        "--device", sizes.device, "--batch-size", str(min(sizes.batch, 256)),
    ]  # fmt: skip
    if sizes.run_method != "hsv-hist":
        cmd += ["--random-init", "--dtype", sizes.dtype]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    records = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*.json")) if out_dir.exists() else []
    return {
        "value": float(proc.returncode),
        "seconds": time.perf_counter() - t0,
        "command": " ".join(cmd[2:]),
        "records": records,
        "output_tail": (proc.stdout + proc.stderr)[-1500:],
    }


STEPS: dict[str, Callable[[Sizes, Path, dict], dict]] = {
    "extract_in_memory": extract_in_memory,
    "extract_end_to_end": extract_end_to_end,
    "metrics_msmt17": metrics_msmt17,
    "rerank_msmt17": rerank_msmt17,
    "harness_run": harness_run,
}


def _verdict(name: str, value: float | None, dry_run: bool) -> str:
    _unit, op, target = TARGETS[name]
    if value is None:
        return "error"
    if dry_run and name != "harness_run":
        return "ran (dry run: sizes too small for the target)"
    ok = {">=": value >= target, "<=": value <= target, "==": value == target}[op]
    return "met" if ok else "missed"


def markdown(report: dict) -> str:
    env = report["environment"]
    lines = [
        f"# GPU check ({'dry run on CPU, tiny sizes' if report['dry_run'] else 'full sizes'}, "
        f"ViT: {report['sizes']['arch']})",
        "",
        f"Device: {env['device_name']} ({env['device']}); torch {env['torch']}, CUDA {env['cuda']}, "
        f"Python {env['python']}, harness {env['harness']} at {env.get('git_sha')}; "
        f"{report['finished_utc']}; total {report['total_s']:.1f} s.",
        "",
        "| step | measured | target | ceiling | verdict | step time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, step in report["steps"].items():
        unit, op, target = TARGETS[name]
        value = step.get("value")
        shown = "error: " + step["error"].splitlines()[-1][:80] if value is None else f"{value:,.3g} {unit}"
        ceiling = f"{step['ceiling']:,.0f} {unit} ({step['ceiling_note']})" if "ceiling" in step else ""
        goal = f"{op} {target:,g} {unit}"
        lines.append(f"| {name} | {shown} | {goal} | {ceiling} | {step['verdict']} | {step['step_s']:.1f} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: checks the script itself")
    parser.add_argument("--out", type=Path, required=True, help="folder for gpu_check.json and gpu_check.md")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset of the steps")
    args = parser.parse_args(argv)
    sizes = DRY if args.dry_run else FULL
    if sizes.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("gpu_check: no CUDA device is visible; --dry-run checks the script on CPU", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    env = environment(sizes)
    report = {"dry_run": args.dry_run, "sizes": sizes.__dict__, "environment": env, "steps": {}}
    with tempfile.TemporaryDirectory(prefix="reid-gpu-check-") as tmp:
        from harness.data.synth import synthesize

        world = Path(tmp) / "world"
        synthesize(world, scale="tiny", seed=0, datasets=["market1501"])
        for name in args.steps.split(","):
            t0 = time.perf_counter()
            print(f"gpu_check: {name} ...", flush=True)
            try:
                step = STEPS[name](sizes, world, report["environment"])
            except Exception:  # recorded, so that one broken step does not lose the others' figures
                step = {"value": None, "error": traceback.format_exc(limit=3)}
            step["step_s"] = time.perf_counter() - t0
            step["verdict"] = _verdict(name, step.get("value"), args.dry_run)
            report["steps"][name] = step
            took = f"{step['step_s']:.1f} s"
            print(f"gpu_check: {name}: {step.get('value')} ({step['verdict']}, {took})", flush=True)
    report["total_s"] = time.perf_counter() - started
    report["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    from harness.atomic import write_json_atomic, write_text_atomic

    write_json_atomic(args.out / "gpu_check.json", report)
    write_text_atomic(args.out / "gpu_check.md", markdown(report))
    print(markdown(report))
    return 1 if any(s["verdict"] == "error" for s in report["steps"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
