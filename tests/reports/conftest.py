"""Records made by ``harness run`` on the tiny synthetic world, shared by the plot and leaderboard tests.

Two image methods (``hsv-hist`` and a user card ``hsv-coarse`` from ``$HARNESS_METHOD_PATH``, both
weights-free, so the runs are cheap) on every leg of ``p2`` and on ``single``/market1501; ``attr-match``
on ``textmask`` (cuhk-pedes) and, profiled, on ``t2i``. Every one of them is synthetic, hence not
reportable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

RUNS = (
    ("hsv-hist", "p2", ()),
    ("hsv-coarse", "p2", ()),
    ("hsv-hist", "single", ("--leg", "market1501")),
    ("hsv-coarse", "single", ("--leg", "market1501")),
    ("attr-match", "textmask", ("--leg", "cuhk-pedes")),
    ("attr-match", "t2i", ("--leg", "cuhk-pedes", "--profile")),
)


def user_card(folder: Path) -> Path:
    """A weights-free user method ``hsv-coarse``: hsv-hist with coarser stripes and bins."""
    from harness.resources import builtin_dir

    card = yaml.safe_load((builtin_dir("methods") / "hsv-hist" / "method.yaml").read_text())
    card.update(name="hsv-coarse", aliases=[], title="HSV histograms, 2 stripes")
    card["family_config"].update(stripes=2, h_bins=4)
    (folder / "hsv-coarse").mkdir(parents=True, exist_ok=True)
    (folder / "hsv-coarse" / "method.yaml").write_text(yaml.safe_dump(card, sort_keys=False))
    return folder


@pytest.fixture(scope="session")
def run_records(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder written by ``harness run`` (see the module doc)."""
    from harness.cli.app import app
    from harness.methods.registry import METHODS

    base = tmp_path_factory.mktemp("report-runs")
    out = base / "results"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HARNESS_CACHE", str(base / "cache"))
        mp.setenv("HARNESS_METHOD_PATH", str(user_card(base / "cards")))
        for attribute, value in (("_entries", {}), ("_aliases", {}), ("_display", {}), ("_loaded", False)):
            mp.setattr(METHODS, attribute, value)  # rescanned with the user card, restored afterwards
        runner = CliRunner()
        for method, protocol, extra in RUNS:
            args = ["run", "-p", protocol, "-m", method, "--data-root", str(tiny_world), "--out", str(out)]
            result = runner.invoke(app, [*args, "--device", "cpu", "--no-progress", *extra])
            assert result.exit_code == 0, (method, protocol, result.output)
    return out
