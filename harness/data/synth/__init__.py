"""The deterministic synthetic person world, written in each dataset's real on-disk layout.

``synthesize(root, scale="tiny", seed=0)`` writes the datasets and a marker file
(``harness-synthetic.json``) recording the generator version, seed, scale and, per dataset, the
split counts the readers must find. The same seed gives byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.atomic import write_json_atomic
from harness.data.base import SYNTH_MARKER, read_synth_marker
from harness.data.synth.guard import PARTIAL_MARKER, check_root, writing_under
from harness.errors import ConfigError
from harness.registry import Registry

GENERATOR_VERSION = 1

SCALES: dict[str, dict[str, int]] = {
    "tiny": {"train_ids": 16, "test_ids": 16, "distractors": 8, "junk": 4},
    "small": {"train_ids": 100, "test_ids": 100, "distractors": 40, "junk": 10},
}

WRITERS: Registry[Callable[..., dict]] = Registry("synthetic layout")
WRITERS.register("market1501", "harness.data.synth.layouts.market1501:write_market1501")
WRITERS.register("cuhk-pedes", "harness.data.synth.layouts.cuhk_pedes:write_cuhk_pedes")
WRITERS.register("icfg-pedes", "harness.data.synth.layouts.icfg_pedes:write_icfg_pedes")
WRITERS.register("rstpreid", "harness.data.synth.layouts.rstpreid:write_rstpreid")
WRITERS.register("msmt17", "harness.data.synth.layouts.msmt17:write_msmt17")
WRITERS.register("cuhk03-np-labeled", "harness.data.synth.layouts.cuhk03np:write_cuhk03_labeled")
WRITERS.register("cuhk03-np-detected", "harness.data.synth.layouts.cuhk03np:write_cuhk03_detected")
WRITERS.register("cuhksysu", "harness.data.synth.layouts.train_only:write_cuhksysu")
WRITERS.register("cuhk02", "harness.data.synth.layouts.train_only:write_cuhk02")
WRITERS.register("randperson", "harness.data.synth.layouts.train_only:write_randperson")
WRITERS.register("synthpedes", "harness.data.synth.layouts.train_only:write_synthpedes")
WRITERS.register("prid2011", "harness.data.synth.layouts.small_targets:write_prid2011")
WRITERS.register("grid", "harness.data.synth.layouts.small_targets:write_grid")
WRITERS.register("viper", "harness.data.synth.layouts.small_targets:write_viper")
WRITERS.register("ilids", "harness.data.synth.layouts.small_targets:write_ilids")
WRITERS.register("dukemtmc", "harness.data.synth.layouts.market_style:write_dukemtmc")


def read_synth_marker_file(path: Path) -> dict:
    """A marker-like JSON object (the partial marker); anything else is a one-line error."""
    from harness.data.files import read_user_json

    content = read_user_json(path, what="synthetic-world marker")
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: expected a JSON object; remove it if no synthesis is under way")
    return content


def synthesize(
    root: str | os.PathLike[str],
    *,
    scale: str = "tiny",
    seed: int = 0,
    datasets: Iterable[str] | None = None,
    force: bool = False,
) -> dict:
    """Write the synthetic world under ``root`` and return the marker's content.

    Args:
        scale: ``tiny`` (CI and the demo) or ``small``.
        datasets: registered layout names; default: all of them.
        force: write into a non-empty folder that is not a synthetic world (files are added
            beside its contents; an existing file is never overwritten, see ``guard``).
    """
    if scale not in SCALES:
        raise ConfigError(f"unknown synthetic scale {scale!r}; choose one of {', '.join(SCALES)}")
    root = Path(root)
    names = [WRITERS.canonical(d) for d in datasets] if datasets is not None else WRITERS.names()
    check_root(root, marker_name=SYNTH_MARKER, force=force)
    root.mkdir(parents=True, exist_ok=True)
    marker_path = root / SYNTH_MARKER
    partial = root / PARTIAL_MARKER
    if partial.is_file():
        begun = read_synth_marker_file(partial)
        if (begun.get("seed"), begun.get("scale")) != (seed, scale):
            raise ConfigError(
                f"{root} holds an unfinished synthetic world with seed {begun.get('seed')} and scale "
                f"{begun.get('scale')!r}; finish it with the same --seed/--scale or use another --root"
            )
    if not marker_path.exists():
        write_json_atomic(partial, {"seed": seed, "scale": scale, "generator_version": GENERATOR_VERSION})
    marker = read_synth_marker(root) or {}
    if not isinstance(marker, dict):
        raise ConfigError(f"{marker_path}: expected a JSON object (the synthetic-world marker)")
    if marker and (marker.get("seed") != seed or marker.get("scale") != scale):
        raise ConfigError(
            f"{root} already holds a synthetic world with seed {marker.get('seed')} and scale "
            f"{marker.get('scale')!r}; use another --root or the same --seed/--scale"
        )
    marker.update({"generator_version": GENERATOR_VERSION, "seed": seed, "scale": scale})
    marker.setdefault("datasets", {})
    from harness.data.synth.layouts.cmdg_captions import write_cmdg_captions

    with writing_under(root):
        for name in names:
            written = WRITERS.get(name)(root, seed=seed, scale=SCALES[scale])
            # a writer returns its split counts, or {"counts": ..., "splits": ...} for a small target
            # (the trial split set it writes into the marker)
            marker["datasets"][name] = written if "counts" in written else {"counts": written}
        captioned = write_cmdg_captions(root, seed=seed, datasets=names)
    if captioned:
        marker["cmdg_captions"] = sorted(set(marker.get("cmdg_captions", [])) | set(captioned))
    write_json_atomic(marker_path, marker, sort_keys=True)
    partial.unlink(missing_ok=True)
    return marker
