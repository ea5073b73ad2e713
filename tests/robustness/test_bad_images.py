"""Issue 9, item 1, through ``harness run``: awkward images are converted, undecodable ones stop the
run naming the path and reason, or with ``--on-bad-image skip`` are skipped, counted and listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.engine.badimages import write_convertible, write_undecodable
from tests.robustness._support import assert_user_error, copy_datasets, record, run

MARKET_GALLERY = "market1501/Market-1501-v15.09.15/bounding_box_test"


@pytest.fixture()
def damaged_market(tiny_world: Path, tmp_path: Path) -> tuple[Path, dict[str, str], list[str]]:
    """Market with gallery files replaced in place: every convertible kind and every undecodable one."""
    root = copy_datasets(tiny_world, tmp_path / "world", "market1501")
    gallery = sorted((root / MARKET_GALLERY).glob("*.jpg"))
    convertible = write_convertible(tmp_path / "convertible")
    undecodable = write_undecodable(tmp_path / "undecodable")
    converted = []
    for target, (name, source) in zip(gallery[:8], sorted(convertible.items()), strict=True):
        if name != "large":  # 2400 x 4800 is covered by the unit test; keep this run fast
            shutil.copyfile(source, target)
            converted.append(str(target))
    damaged = {}
    for target, (name, source) in zip(gallery[10:], sorted(undecodable.items()), strict=False):
        shutil.copyfile(source, target)  # .jpg names: the huge PNG header also has the wrong extension
        damaged[str(target)] = name
    return root, damaged, converted


def test_undecodable_image_stops_the_run_naming_path_and_reason(damaged_market, tmp_path: Path, cli) -> None:
    root, damaged, _ = damaged_market
    first = min(damaged)
    output = assert_user_error(run(cli, root, tmp_path / "out"), f"{first}: ", "--on-bad-image skip")
    reason = {
        "zero_byte": "empty file",
        "huge": "too large",
        "not_an_image": "not an image",
        "truncated": "decode",
    }
    assert reason[damaged[first]] in output
    assert not (tmp_path / "out" / "hsv-hist").exists()  # nothing was written


def test_skip_lists_every_undecodable_image_and_converts_the_rest(
    damaged_market, tmp_path: Path, cli
) -> None:
    root, damaged, converted = damaged_market
    result = run(cli, root, tmp_path / "out", "--on-bad-image", "skip")
    assert result.exit_code == 0, result.output
    rec = record(tmp_path / "out", "hsv-hist", "single", "market1501")
    listed = {item["path"]: item["reason"] for item in rec["engine"]["skipped"]}
    assert set(listed) == set(damaged)  # the convertible ones (CMYK, 16-bit, RGBA, ...) were encoded
    assert not set(converted) & set(listed)
    assert rec["conventions"]["skipped_items"] == len(damaged) == 4
    assert rec["counts"]["n_gallery"] == rec["engine"]["encode"]["gallery"]["n_items"] - 4
    assert any(note.startswith("4 undecodable images were skipped") for note in rec["notes"])


def test_text_leg_stops_at_or_skips_an_undecodable_gallery_image(
    tiny_world: Path, tmp_path: Path, cli
) -> None:
    from harness.data.registry import get_reader

    root = copy_datasets(tiny_world, tmp_path / "world", "CUHK-PEDES")
    gallery = get_reader("cuhk-pedes").read(root).manifest.select("test")
    target = Path(gallery[3].path)
    target.write_bytes(target.read_bytes()[:40])
    args = {"protocol": "t2i", "method": "attr-match", "leg": "cuhk-pedes"}
    assert_user_error(run(cli, root, tmp_path / "out", **args), f"{target}: ", "--on-bad-image skip")

    result = run(cli, root, tmp_path / "out", "--on-bad-image", "skip", **args)
    assert result.exit_code == 0, result.output
    rec = record(tmp_path / "out", "attr-match", "t2i", "cuhk-pedes")
    assert [item["path"] for item in rec["engine"]["skipped"]] == [str(target)]
    assert rec["counts"]["n_gallery"] == len(gallery) - 1 and rec["conventions"]["skipped_items"] == 1
    assert any(note.startswith("1 undecodable gallery images were skipped") for note in rec["notes"])
