"""Every name in results/reported resolves through the registries; every cell names its run or why none."""

from __future__ import annotations

import pytest

from harness.data.registry import DATASETS
from harness.errors import ResultError
from harness.protocols.registry import PROTOCOLS
from harness.reported import list_tables, load_reported, paper_info, table_meta
from harness.reported.cells import CellRef, NoRun, cell_identity, line_settings, resolve_leg
from harness.reported.vocabulary import (
    AVERAGE_TARGET,
    check_metric,
    parse_dataset,
    parse_target,
    parse_training_set,
)

TABLES = [(t.paper, t.table) for t in list_tables().itertuples()]


@pytest.mark.parametrize(("paper", "table"), TABLES)
def test_every_name_resolves_through_the_registries(paper: str, table: str) -> None:
    frame = load_reported(paper, table)
    statistics = table_meta(paper, table).kind == "statistics"
    for line in frame.itertuples():
        assert line.protocol in PROTOCOLS.names()  # the registry's own name, never an alias
        check_metric(line.metric)
        refs = list(parse_training_set(line.training_set))
        target = parse_target(line.target, statistics=statistics)
        if target is not None:
            refs.append(target)
        else:
            assert line.target == AVERAGE_TARGET
        for ref in refs:
            for name in ref.names:
                if statistics and name in PROTOCOLS.names():
                    continue
                assert DATASETS.canonical(name) == name, (line.source_line, name)


@pytest.mark.parametrize(("paper", "table"), TABLES)
def test_ambiguous_names_are_explained(paper: str, table: str) -> None:
    frame = load_reported(paper, table)
    names = {
        t for col in ("training_set", "target") for v in frame[col] for t in str(v).split("+") if "|" in t
    }
    reasons = paper_info(paper).ambiguous
    for name in names:
        assert reasons.get(name.split("[", 1)[0]), f"{paper}/{table}: {name!r} needs a reason in 'ambiguous'"


@pytest.mark.parametrize(("paper", "table"), TABLES)
def test_every_cell_points_at_a_leg_or_says_why_not(paper: str, table: str) -> None:
    meta = table_meta(paper, table)
    frame = load_reported(paper, table)
    for _, line in frame.iterrows():
        ident = cell_identity(line, kind=meta.kind) if line["status"] != "not applicable" else None
        if ident is None:
            continue
        if isinstance(ident, NoRun):
            assert (
                meta.kind == "statistics"
                or line["target"] == AVERAGE_TARGET
                or line["metric"].startswith("delta")
            )
            continue
        assert isinstance(ident, CellRef)
        leg = PROTOCOLS.get(ident.protocol).leg(ident.leg)
        target = parse_dataset(line["target"])
        assert DATASETS.canonical(leg.test.dataset) in target.names
        if line_settings(line["setting"]) is None:
            assert ident.training == line["setting"]  # a training configuration: the row's model


def test_ambiguous_names_and_parts_pick_the_leg() -> None:
    c3 = "cuhk03-np-labeled|cuhk03-np-detected"
    assert resolve_leg("cross", "msmt17[train;val]", c3) == ("cross", "MS-C3")
    assert resolve_leg("cross", "msmt17[all]", c3) == ("cross", "MSall-C3")
    assert resolve_leg("p2", "market1501+msmt17+cuhksysu", c3) == ("p2", "C3")
    assert resolve_leg("cross", "dukemtmc", "market1501") == ("cross", "D-M")
    assert resolve_leg("cross", "msmt17[train;val]+synthpedes", "market1501") == ("cross", "MS+SP-M")
    with pytest.raises(ResultError, match="matches legs MS-M, MSall-M: state the parts"):
        resolve_leg("cross", "msmt17", "market1501")
    with pytest.raises(ResultError, match="no leg of protocol 'cross'"):
        resolve_leg("cross", "msmt17[all]", "msmt17")


def test_equivalent_legs_share_a_cell() -> None:
    ident = cell_identity(
        {
            "protocol": "single",
            "training_set": "market1501",
            "target": "market1501",
            "metric": "R1",
            "setting": "",
        },
        kind="comparison",
    )
    assert isinstance(ident, CellRef)
    assert ident.runs == (("single", "market1501"), ("cross", "M-M"))
    ms = cell_identity(
        {
            "protocol": "single",
            "training_set": "msmt17",
            "target": "msmt17",
            "metric": "R1",
            "setting": "re-ranking",
        },
        kind="comparison",
    )
    assert ms.runs == (("single", "msmt17"), ("cross", "MS-MS")) and ms.settings.rerank == (20, 6, 0.3)


def test_reference_labels_for_display() -> None:
    from harness.reported.vocabulary import reference_label

    assert reference_label("msmt17[all]") == "MSMT17 (all parts)"
    assert reference_label("msmt17[train;val]") == "MSMT17 (train+val)"
    assert (
        reference_label("cuhk03-np-labeled|cuhk03-np-detected")
        == "CUHK03-NP (labeled) or CUHK03-NP (detected)"
    )
