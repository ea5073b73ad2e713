"""Real result records made by ``harness run`` on the tiny synthetic world, shared by the report tests.

``paper_runs`` feeds the paper tables: every protocol that feeds a table, run once per session
(in process, through the CLI) with the weights-free methods: ``hsv-hist`` for image protocols,
``attr-match`` for text protocols (``--profile`` on the CUHK-PEDES leg for the complexity table), all
into ONE results folder: a record's path carries its settings (``market1501+rerank.json``), so no run
replaces another's, and ``harness report --with-measured ROOT`` reads them all.

``run_records`` feeds the plot and leaderboard tests: two image methods (``hsv-hist`` and a user card
``hsv-coarse`` from ``$HARNESS_METHOD_PATH``, both weights-free) on every leg of ``p2`` and on
``single``/market1501; ``attr-match`` on ``textmask`` (cuhk-pedes) and, profiled, on ``t2i``. Every one
of them is synthetic, hence not reportable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

IMAGE_METHOD = "hsv-hist"
TEXT_METHOD = "attr-match"

RUNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (method, protocol, extra arguments)
    (IMAGE_METHOD, "single", ()),
    (IMAGE_METHOD, "jmcm", ()),
    (IMAGE_METHOD, "cross", ()),
    (IMAGE_METHOD, "p2", ()),
    (IMAGE_METHOD, "p3", ()),
    (IMAGE_METHOD, "single", ("--rerank",)),
    (IMAGE_METHOD, "jmcm", ("--rerank", "k1=20,k2=6,lambda=0.3")),
    (IMAGE_METHOD, "single", ("--leg", "market1501", "--aqe")),
    (IMAGE_METHOD, "single", ("--leg", "msmt17", "--rerank", "k1=10")),
    (TEXT_METHOD, "t2i", ()),
    (TEXT_METHOD, "t2i", ("--leg", "cuhk-pedes", "--profile")),
    (TEXT_METHOD, "t2i-cross", ()),
    (TEXT_METHOD, "textmask", ()),
)


@dataclass(frozen=True)
class PaperRuns:
    """The results root and the world the records were made on."""

    root: Path
    world: Path

    def record(self, method: str, protocol: str, leg: str) -> Path:
        """The record file of one run (``leg``: the leg with its settings slug, ``market1501+rerank``),
        found through the record reader."""
        from harness.results import read_records

        for f in read_records(self.root):
            if (f.key.method, f.key.protocol, f.key.leg_label) == (method, protocol, leg):
                return f.path
        raise LookupError(f"no record of {method} {protocol}/{leg} under {self.root}")


@pytest.fixture(scope="session")
def paper_runs(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> PaperRuns:
    from harness.cli.app import app

    root = tmp_path_factory.mktemp("paper-runs")
    cache = tmp_path_factory.mktemp("paper-runs-cache")
    runner = CliRunner()
    for method, protocol, extra in RUNS:
        args = ["run", "-p", protocol, "-m", method, "--data-root", str(tiny_world), "--out", str(root)]
        args += ["--device", "cpu", "--no-progress", "--cache-dir", str(cache), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    return PaperRuns(root=root, world=tiny_world)


PLOT_RUNS = (
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
        for method, protocol, extra in PLOT_RUNS:
            args = ["run", "-p", protocol, "-m", method, "--data-root", str(tiny_world), "--out", str(out)]
            result = runner.invoke(app, [*args, "--device", "cpu", "--no-progress", *extra])
            assert result.exit_code == 0, (method, protocol, result.output)
    return out
