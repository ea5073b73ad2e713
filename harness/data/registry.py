"""The dataset registry: name -> reader class, as lazy ``"module:Class"`` strings.

Add a dataset by writing one file next to ``market1501.py`` and one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.registry import Registry

if TYPE_CHECKING:
    from harness.data.base import DatasetReader

DATASETS: Registry[type[DatasetReader]] = Registry("dataset")
DATASETS.register("market1501", "harness.data.market1501:Market1501", aliases=("market", "market-1501"))
DATASETS.register("cuhk-pedes", "harness.data.cuhk_pedes:CUHKPEDES", aliases=("cuhkpedes",))
DATASETS.register("icfg-pedes", "harness.data.icfg_pedes:ICFGPEDES", aliases=("icfgpedes",))
DATASETS.register("rstpreid", "harness.data.rstpreid:RSTPReid", aliases=("rstp", "rstp-reid"))


def get_reader(name: str) -> DatasetReader:
    """An instance of the reader registered as ``name`` (or an alias)."""
    return DATASETS.get(name)()


DATASETS.register("msmt17", "harness.data.msmt17:MSMT17", aliases=("msmt", "msmt17-v1", "msmt17-v2"))
DATASETS.register(
    "cuhk03-np-labeled",
    "harness.data.cuhk03:CUHK03NPLabeled",
    aliases=("cuhk03", "cuhk03-labeled", "cuhk03-np", "cuhk03np-labeled"),
)
DATASETS.register(
    "cuhk03-np-detected",
    "harness.data.cuhk03:CUHK03NPDetected",
    aliases=("cuhk03-detected", "cuhk03np-detected"),
)
DATASETS.register("cuhksysu", "harness.data.cuhksysu:CUHKSYSU", aliases=("cuhk-sysu", "cuhk_sysu"))
DATASETS.register("cuhk02", "harness.data.cuhk02:CUHK02")
DATASETS.register("prid2011", "harness.data.prid2011:PRID2011", aliases=("prid", "prid-2011"))
DATASETS.register("grid", "harness.data.grid:GRID")
DATASETS.register("viper", "harness.data.viper:VIPeR")
DATASETS.register("ilids", "harness.data.ilids:QMULiLIDS", aliases=("qmul-ilids", "i-lids"))
DATASETS.register("randperson", "harness.data.randperson:RandPerson", aliases=("rand-person",))
DATASETS.register("synthpedes", "harness.data.synthpedes:SynthPedes", aliases=("synth-pedes",))
DATASETS.register("dukemtmc", "harness.data.dukemtmc:DukeMTMCreID", aliases=("duke", "dukemtmc-reid"))
DATASETS.register("finegpr", "harness.data.finegpr:FineGPR", aliases=("fine-gpr",))
