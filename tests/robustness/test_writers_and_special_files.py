"""Issue 15, through the CLI: commands that write or delete touch only what they made, and the
decided behaviour for special files, paths out of a dataset, two layouts and checkpoint options
(docs/failure-modes.md, "Writers touch only what they made" and "Datasets on disk")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.cli.app import app
from tests.robustness._support import QUICK_PROFILE, assert_user_error, copy_datasets, record, run

MARKET_FILES = Path("market1501") / "Market-1501-v15.09.15"


@pytest.fixture()
def market(tiny_world: Path, tmp_path: Path) -> Path:
    return copy_datasets(tiny_world, tmp_path / "data", "market1501")


# ------------------------------------------------------------------------ report --out


def test_report_out_replaces_its_own_table_but_never_a_foreign_file(cli, tmp_path: Path) -> None:
    table = tmp_path / "t.md"
    args = ["report", "-t", "dmf-t2", "--out", str(table)]
    assert cli.invoke(app, args).exit_code == 0
    assert cli.invoke(app, args).exit_code == 0  # its own earlier output
    notes = tmp_path / "notes.md"
    notes.write_text("my notes\n")
    assert_user_error(
        cli.invoke(app, ["report", "-t", "dmf-t2", "--out", str(notes)]), str(notes), "refusing to overwrite"
    )
    assert notes.read_text() == "my notes\n"
    link = tmp_path / "link.md"
    link.symlink_to(notes)
    assert_user_error(cli.invoke(app, ["report", "-t", "dmf-t2", "--out", str(link)]), "symbolic link")
    assert notes.read_text() == "my notes\n"


def test_report_out_inside_the_results_it_reads_is_refused(cli, market: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(cli, market, out).exit_code == 0
    args = ["report", "-t", "dtta-t2", "--with-measured", str(out), "--allow-nonreportable"]
    assert_user_error(cli.invoke(app, [*args, "--out", str(out / "t.md")]), "overlaps the input")


# ---------------------------------------------------------- data manifest --out, profile --json


def test_manifest_out_never_lands_in_the_data_or_on_a_foreign_file(
    cli, tiny_world: Path, tmp_path: Path
) -> None:
    base = ["data", "manifest", "--protocol", "single", "--leg", "market1501", "--data-root", str(tiny_world)]
    assert_user_error(cli.invoke(app, [*base, "--out", str(tiny_world / "m.csv")]), "overlaps the input")
    foreign = tmp_path / "m.csv"
    foreign.write_text("name,age\nx,1\n")
    assert_user_error(cli.invoke(app, [*base, "--out", str(foreign)]), "refusing to overwrite")
    assert foreign.read_text() == "name,age\nx,1\n"
    own = tmp_path / "own.csv"
    assert cli.invoke(app, [*base, "--out", str(own)]).exit_code == 0
    assert cli.invoke(app, [*base, "--out", str(own)]).exit_code == 0


def test_profile_json_never_overwrites_a_foreign_file(cli, tmp_path: Path) -> None:
    foreign = tmp_path / "cost.json"
    foreign.write_text('{"mine": 1}\n')
    args = list(QUICK_PROFILE)
    assert_user_error(cli.invoke(app, [*args, "--json", str(foreign)]), "refusing to overwrite")
    assert foreign.read_text() == '{"mine": 1}\n'
    own = tmp_path / "own.json"
    assert cli.invoke(app, [*args, "--json", str(own)]).exit_code == 0
    assert cli.invoke(app, [*args, "--json", str(own)]).exit_code == 0


# ------------------------------------------------------------------------- cache prune


def test_cache_prune_never_follows_a_link_out_of_the_cache(cli, market: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert run(cli, market, tmp_path / "out", "--cache-dir", str(cache)).exit_code == 0
    entry = next(cache.rglob("meta.json")).parent
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    (entry.parent / ("f" * 64)).symlink_to(precious, target_is_directory=True)  # a foreign link
    (entry / "chunk-000009.safetensors").symlink_to(precious / "thesis.tex")
    result = cli.invoke(app, ["cache", "prune", "--all", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert not list(cache.rglob("meta.json"))


@pytest.mark.parametrize("age", ["-1", "nan", "inf"])
def test_cache_prune_refuses_a_negative_or_non_finite_age(cli, tmp_path: Path, age: str) -> None:
    result = cli.invoke(app, ["cache", "prune", "--older-than", age, "--cache-dir", str(tmp_path / "c")])
    assert_user_error(result, "--older-than must be a number of days >= 0", "--all")


# ------------------------------------------------------------------- datasets on disk


@pytest.mark.parametrize("kind", ["dangling", "loop", "fifo", "folder"])
def test_special_entries_in_an_image_folder(cli, market: Path, tmp_path: Path, kind: str) -> None:
    query = market / MARKET_FILES / "query"
    entry = query / "0001_c1s9_000999_01.jpg"
    if kind == "dangling":
        entry.symlink_to(tmp_path / "gone.jpg")
        expected = "a dangling symbolic link where an image belongs"
    elif kind == "loop":
        entry.symlink_to(entry)
        expected = "a symbolic link loop where an image belongs"
    elif kind == "fifo":
        os.mkfifo(entry)
        expected = "a FIFO where an image belongs"
    else:
        entry.mkdir()  # a folder with an image's name is not an image: listed as nothing
        result = run(cli, market, tmp_path / "out")
        assert result.exit_code == 0, result.output
        return
    assert_user_error(run(cli, market, tmp_path / "out"), str(entry), expected)


def test_a_linked_image_is_followed(cli, market: Path, tmp_path: Path) -> None:
    query = market / MARKET_FILES / "query"
    first = sorted(query.iterdir())[0]
    elsewhere = tmp_path / "elsewhere.jpg"
    first.rename(elsewhere)
    first.symlink_to(elsewhere)
    assert run(cli, market, tmp_path / "out").exit_code == 0


def test_msmt17_list_entry_outside_the_dataset_is_refused(cli, tiny_world: Path, tmp_path: Path) -> None:
    data = copy_datasets(tiny_world, tmp_path / "data", "msmt17")
    listing = data / "msmt17" / "MSMT17_V1" / "list_query.txt"
    lines = listing.read_text().splitlines()
    rel, pid = lines[0].split()
    outside = tmp_path / Path(rel).name
    (data / "msmt17" / "MSMT17_V1" / "test" / rel).rename(outside)
    listing.write_text("\n".join([f"../../../../{outside.name} {pid}", *lines[1:]]) + "\n")
    assert_user_error(
        run(cli, data, tmp_path / "out", leg="msmt17"), f"{listing}:1", "leads outside the dataset folder"
    )


@pytest.mark.parametrize(
    ("bad", "why"),
    [("../../secret.jpg", "leads outside the dataset folder"), ("/etc/passwd", "must be relative")],
)
def test_caption_file_path_outside_the_dataset_is_refused(
    cli, tiny_world: Path, tmp_path: Path, bad: str, why: str
) -> None:
    data = copy_datasets(tiny_world, tmp_path / "data", "CUHK-PEDES")
    annotation = data / "CUHK-PEDES" / "reid_raw.json"
    entries = json.loads(annotation.read_text())
    entries[0]["file_path"] = bad
    annotation.write_text(json.dumps(entries))
    result = cli.invoke(app, ["data", "check", "--data-root", str(data), "--dataset", "cuhk-pedes"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "entry 0" in result.output and repr(bad) in result.output and why in result.output


def test_two_layouts_present_at_once_read_the_first_and_say_so(cli, market: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(market / MARKET_FILES, market / "Market-1501-v15.09.15")  # the fast-reid layout too
    out = tmp_path / "out"
    result = run(cli, market, out)
    assert result.exit_code == 0, result.output
    notes = " ".join(record(out, "hsv-hist", "single", "market1501")["notes"])
    assert str(market / MARKET_FILES) in notes and "also present and not read" in notes
    assert str(market / "Market-1501-v15.09.15") in notes


def test_weights_given_to_a_weights_free_method_are_refused(cli, market: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "model.pth"
    ckpt.write_bytes(b"x")
    assert_user_error(
        run(cli, market, tmp_path / "out", "--weights", str(ckpt)), "'hsv-hist' is weights-free", "--weights"
    )
    result = cli.invoke(
        app, ["profile", "-m", "hsv-hist", "--device", "cpu", "--weights", str(ckpt), "--iters", "1"]
    )
    assert_user_error(result, "is weights-free")
