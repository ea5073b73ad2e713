"""The deterministic synthetic person world, written in each dataset's real on-disk layout.

``synthesize(root, scale="tiny", seed=0)`` writes the datasets and a marker file
(``harness-synthetic.json``) recording the generator version, seed, scale and, per dataset, the
split counts the readers must find. The same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.data.base import SYNTH_MARKER
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


def synthesize(
    root: str | os.PathLike[str],
    *,
    scale: str = "tiny",
    seed: int = 0,
    datasets: Iterable[str] | None = None,
) -> dict:
    """Write the synthetic world under ``root`` and return the marker's content.

    Args:
        scale: ``tiny`` (CI and the demo) or ``small``.
        datasets: registered layout names; default: all of them.
    """
    if scale not in SCALES:
        raise ConfigError(f"unknown synthetic scale {scale!r}; choose one of {', '.join(SCALES)}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    names = [WRITERS.canonical(d) for d in datasets] if datasets is not None else WRITERS.names()
    marker_path = root / SYNTH_MARKER
    marker = json.loads(marker_path.read_text()) if marker_path.is_file() else {}
    if marker and (marker.get("seed") != seed or marker.get("scale") != scale):
        raise ConfigError(
            f"{root} already holds a synthetic world with seed {marker.get('seed')} and scale "
            f"{marker.get('scale')!r}; use another --root or the same --seed/--scale"
        )
    marker.update({"generator_version": GENERATOR_VERSION, "seed": seed, "scale": scale})
    marker.setdefault("datasets", {})
    for name in names:
        counts = WRITERS.get(name)(root, seed=seed, scale=SCALES[scale])
        marker["datasets"][name] = {"counts": counts}
    _write_json_atomic(marker_path, marker)
    return marker


def _write_json_atomic(path: Path, payload: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)
