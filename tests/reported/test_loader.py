"""The loader validates every file, lists what exists and rejects malformed files by file, line and field."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.errors import ConfigError, RegistryError, ResultError
from harness.reported import (
    OUTPUT_COLUMNS,
    check_directory,
    list_tables,
    load_reported,
    paper_info,
    reported_dir,
    table_layout,
)
from harness.reported.paths import ENV_VAR

EXPECTED_ROWS = {
    ("dgcmia", "table1"): 18, ("dgcmia", "table2"): 90, ("dgcmia", "table3"): 20,
    ("dmf", "table1"): 24, ("dmf", "table2"): 144,
    ("dtta", "table1"): 32, ("dtta", "table2"): 150, ("dtta", "table3"): 30,
    ("retext", "table2"): 20, ("retext", "table3"): 6, ("retext", "table4"): 8, ("retext", "table5"): 180,
    ("retext", "table6"): 144, ("retext", "table7"): 20, ("retext", "table8"): 18, ("retext", "table9"): 6,
    ("retext", "table10"): 6, ("retext", "table11"): 8,
}  # fmt: skip


def test_every_file_loads_and_validates() -> None:
    check_directory()
    frame = load_reported()
    assert tuple(frame.columns) == OUTPUT_COLUMNS
    counts = frame.groupby(["paper", "table"]).size().to_dict()
    assert counts == EXPECTED_ROWS
    reported = frame[frame.status == "reported"]
    assert reported.value.notna().all()
    assert frame[frame.status != "reported"].value.isna().all()
    assert np.allclose(reported.value, reported.value_text.astype(float))


def test_listing_and_metadata() -> None:
    tables = list_tables()
    assert set(zip(tables.paper, tables.table, strict=True)) == set(EXPECTED_ROWS)
    assert tables.caption.str.len().min() > 10
    assert paper_info("cmdg").tables == {}
    assert paper_info("retext").seed_file == "001_52df47eb56750a7b.txt"
    layout = table_layout("retext", "table6")
    assert [c.header[0] for c in layout.columns][-2:] == ["Average", "Average"]
    assert layout.columns[-1].average_of == ("cuhk03-np-labeled|cuhk03-np-detected", "msmt17", "market1501")
    assert [r.group for r in layout.rows].count("Protocol 2") == 9


def test_filters_and_unknown_names() -> None:
    one = load_reported("dgcmia", "table3")
    assert set(one.table) == {"table3"} and len(one) == 20
    with pytest.raises(RegistryError, match="retext"):
        load_reported("retxt")
    with pytest.raises(RegistryError, match="table6"):
        load_reported("retext", "table66")
    with pytest.raises(RegistryError, match="needs paper"):
        load_reported(table="table2")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(reported_dir() / "dgcmia", tmp_path / "dgcmia")
    return tmp_path


def _edit(path: Path, line: int, field: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[line - 1][rows[0].index(field)] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("metric", "Rank1", "unknown 'Rank1'"),
        ("protocol", "protocol-2", "unknown protocol 'protocol-2' (the registry name is 'p2')"),
        ("target", "cuhk03-np", "unknown dataset 'cuhk03-np' (the registry name is 'cuhk03-np-labeled')"),
        ("training_set", "cuhk-pedes+cuhk-sysu", "unknown dataset 'cuhk-sysu' (the registry name is"),
        ("training_set", "msmt17[]", "empty parts"),
        ("target", "cuhk_pedes", "unknown dataset"),
        ("training_set", "cuhk-pedes+foo", "unknown dataset 'foo'"),
        ("value", "57,10", "expected a number"),
        ("method_year", "21", "4-digit year"),
        ("row", "9", "not in the table's layout"),
        ("paper", "dmf", "expected 'dgcmia'"),
        ("method", "", "empty"),
    ],
)
def test_malformed_field_names_file_line_and_field(tree: Path, field: str, value: str, expected: str) -> None:
    path = tree / "dgcmia" / "table3.csv"
    _edit(path, 4, field, value)
    with pytest.raises(ResultError) as info:
        load_reported("dgcmia", "table3", root=tree)
    message = str(info.value)
    assert str(path) in message and "line 4" in message and f"field {field!r}" in message
    assert expected in message


def test_empty_value_needs_a_status_note(tree: Path) -> None:
    path = tree / "dgcmia" / "table3.csv"
    _edit(path, 2, "value", "")
    with pytest.raises(ResultError, match=r"line 2: field 'note'"):
        load_reported("dgcmia", "table3", root=tree)
    _edit(path, 2, "note", 'unreadable: "41 8"')
    frame = load_reported("dgcmia", "table3", root=tree)
    assert frame.status.iloc[0] == "unreadable" and np.isnan(frame.value.iloc[0])


def test_bad_header_duplicate_line_and_undeclared_csv(tree: Path) -> None:
    path = tree / "dgcmia" / "table1.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([text[0], *text[1:], text[1]]) + "\n", encoding="utf-8")
    with pytest.raises(ResultError, match=r"line 20: duplicates line 2"):
        load_reported("dgcmia", "table1", root=tree)
    path.write_text(text[0].replace("metric", "measure") + "\n", encoding="utf-8")
    with pytest.raises(ResultError, match=r"line 1: header"):
        load_reported("dgcmia", "table1", root=tree)
    (tree / "dgcmia" / "table9.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(ResultError, match="not declared"):
        check_directory(tree)


def test_malformed_metadata_names_the_key(tree: Path) -> None:
    meta = tree / "dgcmia" / "paper.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("kind: complexity", "kind: speed"), encoding="utf-8"
    )
    with pytest.raises(ResultError, match=r"tables\.table3: kind 'speed'"):
        load_reported("dgcmia", root=tree)


def test_reported_dir_lookup(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert (reported_dir() / "retext" / "paper.yaml").is_file()
    monkeypatch.setenv(ENV_VAR, str(tree))
    assert reported_dir() == tree
    assert set(load_reported().paper) == {"dgcmia"}
    monkeypatch.setenv(ENV_VAR, str(tree / "missing"))
    with pytest.raises(ConfigError, match=ENV_VAR):
        reported_dir()
