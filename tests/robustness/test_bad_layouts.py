"""Issue 9, item 2, through ``harness run``: bad file names, list files, splits and labels give a
message naming the file and what was expected (exit status 2, no traceback); queries with no gallery
match after the junk rule are counted and noted, and a leg with none valid is a clear error.

The readers' own unit tests (every dataset) are in ``tests/data/test_robustness.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.robustness._support import assert_user_error, copy_datasets, record, run

MARKET = "market1501/Market-1501-v15.09.15"
MSMT = "msmt17/MSMT17_V1"


def _rename_query(root: Path, new_name: str) -> str:
    query = sorted((root / MARKET / "query").glob("*.jpg"))[0]
    target = query.with_name(new_name)
    query.rename(target)
    return str(target)


def _empty_query(root: Path) -> str:
    for path in (root / MARKET / "query").glob("*.jpg"):
        path.unlink()
    return str(root / MARKET / "query")


def _drop_list(root: Path) -> str:
    (root / MSMT / "list_query.txt").unlink()
    return "missing list_query.txt"


def _list_names_missing_file(root: Path) -> str:
    with (root / MSMT / "list_query.txt").open("a") as handle:
        handle.write("0000/0000_999_01_0303morning_0999_0.jpg 0\n")
    return "0000_999_01_0303morning_0999_0.jpg does not exist"


def _duplicate_list_line(root: Path) -> str:
    path = root / MSMT / "list_query.txt"
    first = path.read_text().splitlines()[0]
    path.write_text(path.read_text() + first + "\n")
    return "duplicate path"


CASES: dict[str, tuple[str, Callable[[Path], str], list[str]]] = {
    "name-pattern": (
        "market1501",
        lambda root: _rename_query(root, "holiday-photo.jpg"),
        ["does not match the Market pattern '<pid>_c<cam>s<seq>_..'"],
    ),
    "camera-out-of-range": (
        "market1501",
        lambda root: _rename_query(root, "0001_c9s1_000001_01.jpg"),
        ["camera c9 is out of range 1..6"],
    ),
    "empty-split": ("market1501", _empty_query, ["empty split, expected image files"]),
    "missing-list-file": ("msmt17", _drop_list, ["MSMT17 not found under"]),
    "list-entry-file-missing": ("msmt17", _list_names_missing_file, ["list_query.txt:"]),
    "duplicate-path": ("msmt17", _duplicate_list_line, ["every image may appear once"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_layout_fails_before_encoding_naming_the_file(
    tiny_world: Path, tmp_path: Path, cli, case: str
) -> None:
    leg, damage, fragments = CASES[case]
    root = copy_datasets(tiny_world, tmp_path / "world", leg)
    named = damage(root)
    assert_user_error(run(cli, root, tmp_path / "out", leg=leg), named, *fragments)
    assert not list((tmp_path / "cache").rglob("chunk-*"))  # failed before any embedding was computed


def _drop_gallery_of(root: Path, pids: set[str]) -> None:
    for path in (root / MARKET / "bounding_box_test").glob("*.jpg"):
        if path.name[:4] in pids:
            path.unlink()


def test_queries_without_gallery_match_are_counted_and_noted(tiny_world: Path, tmp_path: Path, cli) -> None:
    root = copy_datasets(tiny_world, tmp_path / "world", "market1501")
    first_pid = sorted((root / MARKET / "query").glob("*.jpg"))[0].name[:4]
    n_lost = len(list((root / MARKET / "query").glob(f"{first_pid}_*.jpg")))
    _drop_gallery_of(root, {first_pid})
    result = run(cli, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    rec = record(tmp_path / "out", "hsv-hist", "single", "market1501")
    assert rec["counts"]["n_valid_query"] == rec["counts"]["n_query"] - n_lost
    note = f"{n_lost} of {rec['counts']['n_query']} queries have no gallery match after the junk rule"
    assert any(n.startswith(note) for n in rec["notes"]), rec["notes"]
    assert f"({rec['counts']['n_valid_query']})" in result.output  # the table's "queries (valid)" column


def test_no_valid_query_is_a_clear_error_naming_the_leg(tiny_world: Path, tmp_path: Path, cli) -> None:
    root = copy_datasets(tiny_world, tmp_path / "world", "market1501")
    _drop_gallery_of(root, {p.name[:4] for p in (root / MARKET / "query").glob("*.jpg")})
    assert_user_error(
        run(cli, root, tmp_path / "out"), "protocol 'single' leg 'market1501'", "no query is valid"
    )
    assert not (tmp_path / "out" / "hsv-hist").exists()


def test_count_mismatch_warns_or_fails_under_strict(tiny_world: Path, tmp_path: Path, cli) -> None:
    root = copy_datasets(tiny_world, tmp_path / "world", "market1501")
    sorted((root / MARKET / "bounding_box_test").glob("*.jpg"))[-1].unlink()  # a labelled one
    result = run(cli, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "counts differ" in " ".join(result.output.split())
    assert (
        record(tmp_path / "out", "hsv-hist", "single", "market1501")["data"]["market1501"]["counts_ok"]
        is False
    )
    assert_user_error(run(cli, root, tmp_path / "strict", "--strict"), "counts differ", "MISMATCH")
