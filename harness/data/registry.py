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
