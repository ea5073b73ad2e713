"""Regenerate the example figures of docs/reports.md from synthetic-world runs (nothing drawn by hand).

    python docs/examples/make_figures.py                # writes docs/examples/figures/*.png
    python docs/examples/make_figures.py --work /tmp/w  # keep the world, records and site there

Steps, all through the ``harness`` command line: synthesize the tiny synthetic world (seed 0); run
``hsv-hist`` on p2 and single/market1501, ``dmf`` with random weights on p2, ``attr-match`` on
textmask (cuhk-pedes) and, profiled, on t2i; then draw every ``harness plot`` kind and build the
leaderboard (screenshot at 1400 px in headless Chromium when ``chromium`` is installed). Every
number in these figures describes the synthetic world, so every measured series is marked not
reportable. PNGs are written at a modest DPI to keep the repository small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DPI = "110"


def harness(*args: str, env: dict[str, str], unless: Path | None = None) -> None:
    """``python -m harness ARGS`` (the front door), failing loudly; skipped when ``unless`` exists
    (a record of an earlier call with the same ``--work``)."""
    if unless is not None and unless.exists():
        return
    print("$ harness", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "harness", *args], check=True, env=env, cwd=REPO)


def features_npz(world: Path, target: Path) -> None:
    """hsv-hist embeddings of the world's Market-1501 query+gallery (image features only)."""
    import numpy as np

    from harness.data.registry import get_reader
    from harness.engine.extract import extract_image_features
    from harness.methods.load import load_method

    manifest = get_reader("market1501").read(world).manifest
    part = manifest.select("query", "gallery")
    feats = extract_image_features(load_method("hsv-hist", device="cpu"), part)
    np.savez(target, image_features=feats, image_pids=part.pids)


def ranked_npz(world: Path, target: Path) -> None:
    """hsv-hist ranked lists of four Market-1501 queries (the ``plot ranked`` input format)."""
    import numpy as np

    from harness.data.registry import get_reader
    from harness.methods.load import load_method
    from harness.reports.plots.ranked import rank_with_method

    manifest = get_reader("market1501").read(world).manifest
    query, gallery = manifest.select("query"), manifest.select("gallery")
    picks = list(range(0, len(query.paths), len(query.paths) // 4))[:4]
    lists = rank_with_method(load_method("hsv-hist", device="cpu"), query, gallery, queries=picks, topk=6)
    np.savez(
        target,
        query_paths=np.array(lists.query_paths),
        gallery_paths=np.array(lists.gallery_paths),
        query_pids=np.array(lists.query_pids),
        gallery_pids=np.array(lists.gallery_pids),
        ranked=lists.order,
    )


def small(png: Path) -> None:
    """Re-save ``png`` with a 256-colour palette (figures and screenshots stay readable, the
    repository small)."""
    from PIL import Image

    with Image.open(png) as img:
        reduced = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    reduced.save(png, optimize=True)


def screenshot(site: Path, target: Path, work: Path) -> bool:
    sys.path.insert(0, str(REPO))
    from tests.reports.browser import Browser, find_chromium

    chromium = find_chromium()
    if chromium is None:
        print("chromium not found: leaderboard screenshot skipped", flush=True)
        return False
    browser = Browser(chromium, work / "chromium-profile")
    try:
        browser.open((site / "p2.html").as_uri())
        browser.screenshot(target, width=1400)
    finally:
        browser.close()
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "examples" / "figures")
    parser.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temporary one).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="reid-harness-figures-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HARNESS_CACHE": str(work / "cache"), "PYTHONPATH": str(REPO)}
    world, res, figs = work / "world", work / "results", work / "figures"
    if not (world / "harness-synthetic.json").is_file():
        harness("data", "synth", "--root", str(world), "--scale", "tiny", "--seed", "0", env=env)
    common = ("--data-root", str(world), "--out", str(res), "--device", "cpu", "--no-progress")
    harness("run", "-p", "p2", "-m", "hsv-hist", *common, env=env, unless=res / "hsv-hist/p2/MS.json")
    harness("run", "-p", "single", "--leg", "market1501", "-m", "hsv-hist", *common, env=env)
    dmf = ("run", "-p", "p2", "-m", "dmf", "--random-init", "--batch-size", "32")
    harness(*dmf, *common, env=env, unless=res / "dmf/p2/MS.json")
    mask = ("run", "-p", "textmask", "--leg", "cuhk-pedes", "-m", "attr-match")
    harness(*mask, *common, env=env, unless=res / "attr-match/textmask/cuhk-pedes@mask0.5.json")
    t2i = ("run", "-p", "t2i", "--leg", "cuhk-pedes", "-m", "attr-match", "--profile")
    harness(*t2i, *common, env=env, unless=res / "attr-match/t2i/cuhk-pedes.json")
    plot = ("-o", str(figs), "--dpi", DPI)
    harness("plot", "cmc", "--results", str(res), "-p", "p2", "--leg", "M", *plot, env=env)
    harness("plot", "bar", "--results", str(res), "-p", "p2", "--metric", "mAP", *plot, env=env)
    harness("plot", "textmask", "--results", str(res), *plot, env=env)
    harness("plot", "pareto", "--cost", "params_M", "--results", str(res), *plot, env=env)
    features_npz(world, work / "features.npz")
    harness(
        "plot",
        "tsne",
        "--features",
        str(work / "features.npz"),
        "--source",
        "hsv-hist, Market-1501",
        *plot,
        env=env,
    )
    ranked_npz(world, work / "ranked.npz")
    harness("plot", "ranked", "--input", str(work / "ranked.npz"), "--topk", "6", *plot, env=env)
    pair = ("-m", "hsv-hist", "-m", "dmf", "--random-init", "--data-root", str(world))
    harness("plot", "ranked-pair", *pair, "--topk", "5", "--queries", "3", *plot, env=env)
    heat = ("-m", "transreid", "-m", "dtta", "-m", "cmmt", "--random-init", "--data-root", str(world))
    harness("plot", "heatmap", *heat, "--count", "3", *plot, env=env)
    site = work / "site"
    harness("leaderboard", "--results", str(res), "--out", str(site), "--allow-nonreportable", env=env)
    args.out.mkdir(parents=True, exist_ok=True)
    for png in sorted(figs.glob("*.png")):
        shutil.copyfile(png, args.out / png.name)
    screenshot(site, args.out / "leaderboard-p2.png", work)
    for png in sorted(args.out.glob("*.png")):
        small(png)
    print(f"figures in {args.out}", flush=True)


if __name__ == "__main__":
    main()
