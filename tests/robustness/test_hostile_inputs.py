"""Issue 15 through the CLI: hostile inputs give one ``error:`` line, never a traceback, a silent
pass, an overwritten file or executed markup (docs/failure-modes.md, "Hostile inputs")."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from harness.cli.app import app
from tests.robustness._support import QUICK_PROFILE, assert_user_error, copy_datasets, record, run

MARKET_FILES = Path("market1501") / "Market-1501-v15.09.15"
HOSTILE = "h<svg onload=alert(1)>[y](javascript:alert(1))"
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{n}: &{n} [{','.join(f'*{p}' for _ in range(9))}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


@pytest.fixture()
def fresh_registries(reset_registry) -> None:
    """Method and protocol registries scanned again (the tests point them at user folders)."""
    from harness.methods.registry import METHODS
    from harness.protocols.registry import PROTOCOLS

    reset_registry(METHODS)
    reset_registry(PROTOCOLS)


@pytest.fixture()
def market(tiny_world: Path, tmp_path: Path) -> Path:
    return copy_datasets(tiny_world, tmp_path / "data", "market1501")


def _card(folder: Path, name: str, *, extra: str = "", source: str = "hsv-hist") -> Path:
    """A user method card: the built-in ``source`` card renamed to ``name`` (plus ``extra`` text)."""
    repo = Path(__file__).resolve().parents[2]
    text = (repo / "methods" / source / "method.yaml").read_text()
    text = text.replace(f"name: {source}\n", f"name: {json.dumps(name)}\n", 1)
    text = text.replace("aliases: [hsv]", "aliases: []")
    (folder / name).mkdir(parents=True, exist_ok=True)
    path = folder / name / "method.yaml"
    path.write_text(text + extra)
    return path


def _chunks(cache: Path) -> list[Path]:
    return sorted(cache.rglob("chunk-*.safetensors"))


# ----------------------------------------------------------------- item 4: data synth


@pytest.mark.parametrize(
    "real",
    [
        "msmt17/MSMT17_V1/list_query.txt",
        "CUHK-PEDES/reid_raw.json",
        "market1501/Market-1501-v15.09.15/query/0001_c1s1_000151_01.jpg",
    ],
)
def test_synth_refuses_a_folder_that_holds_real_data(cli, tmp_path: Path, real: str) -> None:
    root = tmp_path / "datasets"
    (root / real).parent.mkdir(parents=True)
    (root / real).write_bytes(b"the user's real file")
    result = cli.invoke(app, ["data", "synth", "--root", str(root), "--dataset", "market1501"])
    assert_user_error(result, f"--root {root} is not empty", "not a synthetic world", "--force")
    assert (root / real).read_bytes() == b"the user's real file"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [real]


def test_synth_force_adds_beside_but_never_overwrites_a_file_it_did_not_write(cli, tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    real = root / "msmt17" / "MSMT17_V1" / "list_query.txt"
    real.parent.mkdir(parents=True)
    real.write_text("0000/real.jpg 0\n")
    result = cli.invoke(app, ["data", "synth", "--root", str(root), "--dataset", "msmt17", "--force"])
    assert_user_error(result, str(real), "already exists and was not written by `harness data synth`")
    assert real.read_text() == "0000/real.jpg 0\n"


def test_synth_reruns_into_its_own_world(cli, tmp_path: Path) -> None:
    root = tmp_path / "world"
    args = ["data", "synth", "--root", str(root), "--dataset", "viper"]
    assert cli.invoke(app, args).exit_code == 0
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    again = cli.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_synth_root_under_a_file_or_read_only(cli, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli.invoke(app, ["data", "synth", "--root", str(blocker / "w"), "--dataset", "viper"])
    assert_user_error(result, f"{blocker} is a file, not a folder")
    result = cli.invoke(app, ["data", "synth", "--root", str(blocker), "--dataset", "viper"])
    assert_user_error(result, f"--root {blocker} is a file")
    monkeypatch.setattr("harness.data.synth.guard.os.access", lambda path, mode: False)  # as non-root
    result = cli.invoke(app, ["data", "synth", "--root", str(tmp_path / "ro" / "w"), "--dataset", "viper"])
    assert_user_error(result, "cannot be written")
    assert not (tmp_path / "ro").exists()


# ------------------------------------------- items 5, 6, 13: names, YAML bombs, registered twice


def test_markdown_report_escapes_names_that_came_from_a_run(
    cli, market: Path, tmp_path: Path, monkeypatch, fresh_registries
) -> None:
    cards = tmp_path / "cards"
    _card(cards, HOSTILE)
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(cards))
    out = tmp_path / "out"
    assert run(cli, market, out, method=HOSTILE).exit_code == 0
    result = cli.invoke(
        app, ["report", "-t", "dtta-t2", "--with-measured", str(out), "--allow-nonreportable", "-f", "md"]
    )
    assert result.exit_code == 0, result.output
    assert "&lt;svg onload=alert(1)&gt;" in result.output and "[y]\\(javascript:" in result.output
    assert "<svg" not in result.output and "](javascript:" not in result.output


def test_yaml_bomb_in_a_method_variant_is_refused_at_once(
    cli, market: Path, tmp_path: Path, monkeypatch, fresh_registries
) -> None:
    cards = tmp_path / "cards"
    card = _card(cards, "bomb", extra=BOMB.replace("\n", "\n  ").join(["variants:\n  ", "\n"]))
    card.write_text(card.read_text().replace("variants: {}\n", ""))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(cards))
    start = time.perf_counter()
    result = run(cli, market, tmp_path / "out", method="bomb")
    assert_user_error(result, str(card), "method metafile", "YAML bomb")
    assert time.perf_counter() - start < 10


def test_yaml_bomb_in_an_expected_numbers_file_is_refused_at_once(cli, market: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(cli, market, out).exit_code == 0
    expected = tmp_path / "expected.yaml"
    expected.write_text(BOMB + "\nentries: *i\n")
    start = time.perf_counter()
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected)])
    assert_user_error(result, str(expected), "expected numbers", "YAML bomb")
    assert time.perf_counter() - start < 10


def test_registered_twice_names_both_files_in_one_line(
    cli, tmp_path: Path, monkeypatch, reset_registry, fresh_registries
) -> None:
    repo = Path(__file__).resolve().parents[2]
    protocols = tmp_path / "protocols"
    protocols.mkdir()
    shutil.copy(repo / "protocols" / "p2.yaml", protocols / "p2.yaml")
    monkeypatch.setenv("HARNESS_PROTOCOL_PATH", str(protocols))
    output = assert_user_error(cli.invoke(app, ["list", "protocols"]), str(protocols / "p2.yaml"), "p2.yaml")
    assert "already defined by" in output and len(output) < 600 and "ProtocolSpec(" not in output
    monkeypatch.delenv("HARNESS_PROTOCOL_PATH")
    from harness.methods.registry import METHODS
    from harness.protocols.registry import PROTOCOLS

    reset_registry(PROTOCOLS)
    reset_registry(METHODS)
    cards = tmp_path / "cards"
    card = _card(cards, "hsv-hist")
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(cards))
    output = assert_user_error(cli.invoke(app, ["list", "methods"]), str(card), "already defined by")
    assert str(repo / "methods" / "hsv-hist") in output and len(output) < 600


# -------------------------------------------------------- item 7: GRID's official partition


def test_grid_official_partition_without_scipy_names_the_extra(
    cli, tiny_world: Path, tmp_path: Path, monkeypatch
) -> None:
    data = copy_datasets(tiny_world, tmp_path / "data", "grid")
    (data / "harness-synthetic.json").unlink()  # a user's copy of GRID, not the synthetic world
    (data / "grid" / "underground_reid" / "features_and_partitions.mat").write_bytes(b"MATLAB 5.0 MAT-file")
    monkeypatch.setitem(sys.modules, "scipy", None)  # as on an install without the 'mat' extra
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    result = run(cli, data, tmp_path / "out", protocol="p1", leg="grid")
    assert_user_error(result, "features_and_partitions.mat", "needs scipy", "pip install 'reid-harness[mat]'")
    p1 = (Path(__file__).resolve().parents[2] / "protocols" / "p1.yaml").read_text()
    assert "not the official" not in p1 and "features_and_partitions.mat" in p1


# ------------------------------------------------------------------ item 8: cache sidecars


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda m: {**m, "n_items": 50}, id="n_items"),
        pytest.param(lambda m: {**m, "chunk_rows": 0}, id="chunk_rows-0"),
        pytest.param(lambda m: {**m, "key_fields": "x"}, id="key_fields-string"),
        pytest.param(lambda m: {**m, "dim": "big", "complete": True}, id="dim"),
        pytest.param(lambda m: [m], id="not-an-object"),
    ],
)
def test_corrupt_sidecar_is_reported_by_verify_and_reset_by_the_next_run(
    cli, market: Path, tmp_path: Path, corrupt
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    assert run(cli, market, out, "--cache-dir", str(cache)).exit_code == 0
    first = record(out, "hsv-hist", "single", "market1501")["metrics"]
    for meta in cache.rglob("meta.json"):
        meta.write_text(json.dumps(corrupt(json.loads(meta.read_text()))))
    verify = cli.invoke(app, ["cache", "verify", "--cache-dir", str(cache)])
    assert verify.exit_code == 1 and "meta.json is invalid" in verify.output, verify.output
    listing = cli.invoke(app, ["cache", "ls", "--cache-dir", str(cache)])
    assert listing.exit_code == 0 and "Traceback" not in listing.output, listing.output
    again = run(cli, market, out, "--cache-dir", str(cache))
    assert again.exit_code == 0, again.output
    assert record(out, "hsv-hist", "single", "market1501")["metrics"] == first
    assert cli.invoke(app, ["cache", "verify", "--cache-dir", str(cache)]).exit_code == 0


def test_a_folder_where_a_chunk_belongs_is_reported_and_replaced(cli, market: Path, tmp_path: Path) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    assert run(cli, market, out, "--cache-dir", str(cache)).exit_code == 0
    chunk = _chunks(cache)[0]
    chunk.unlink()
    chunk.mkdir()
    verify = cli.invoke(app, ["cache", "verify", "--cache-dir", str(cache)])
    assert verify.exit_code == 1 and "not a regular file" in verify.output
    again = run(cli, market, out, "--cache-dir", str(cache))
    assert again.exit_code == 0, again.output
    assert chunk.is_file()


# ---------------------------------------------------------------- item 9: non-UTF-8 names


@pytest.mark.parametrize("cache", ["cache", "no-cache"])
def test_non_utf8_file_names_are_read(cli, market: Path, tmp_path: Path, cache: str) -> None:
    query = market / MARKET_FILES / "query"
    first = sorted(query.iterdir())[0]
    first.rename(query / os.fsdecode(os.fsencode(first.stem) + b"\xff.jpg"))
    extra = ["--no-cache"] if cache == "no-cache" else []
    result = run(cli, market, tmp_path / "out", *extra)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


# ------------------------------------------------------------------- item 10: full disk


def test_full_results_disk_keeps_the_cache_and_says_how_to_resume(
    cli, market: Path, tmp_path: Path, monkeypatch
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if str(dst).startswith(str(out)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr("harness.atomic.os.replace", full)
    output = assert_user_error(
        run(cli, market, out, "--cache-dir", str(cache)), "No space left on device", "kept in the cache"
    )
    assert "run the same command again" in output and len(output.strip().splitlines()) <= 3
    assert _chunks(cache) and not list(out.rglob("*.json"))
    assert not list(tmp_path.rglob("*.tmp"))
    monkeypatch.setattr("harness.atomic.os.replace", real_replace)
    again = run(cli, market, out, "--cache-dir", str(cache))
    assert again.exit_code == 0, again.output
    notes = " ".join(record(out, "hsv-hist", "single", "market1501")["notes"])
    assert "read from the cache" in notes


def test_cache_disk_filling_during_extraction_is_one_line(
    cli, market: Path, tmp_path: Path, monkeypatch
) -> None:
    from safetensors import SafetensorError

    def full(*args, **kwargs):
        raise SafetensorError(
            'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left" })'
        )

    monkeypatch.setattr("safetensors.numpy.save_file", full)
    output = assert_user_error(
        run(cli, market, tmp_path / "out", "--cache-dir", str(tmp_path / "cache")), "No space left on device"
    )
    assert "SafetensorError" not in output and "run the same command again" in output


# ------------------------------------------------------- item 12: tracebacks -> one line


def test_unreadable_query_folder_is_one_line(cli, market: Path, tmp_path: Path, monkeypatch) -> None:
    query = market / MARKET_FILES / "query"
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self == query:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert_user_error(
        run(cli, market, tmp_path / "out"), f"{query}: cannot list the folder", "Permission denied"
    )


def test_caption_id_too_large_is_one_line(cli, tiny_world: Path, tmp_path: Path) -> None:
    data = copy_datasets(tiny_world, tmp_path / "data", "CUHK-PEDES")
    annotation = data / "CUHK-PEDES" / "reid_raw.json"
    entries = json.loads(annotation.read_text())
    entries[0]["id"] = 10**25
    annotation.write_text(json.dumps(entries))
    result = cli.invoke(app, ["data", "check", "--data-root", str(data), "--dataset", "cuhk-pedes"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "entry 0" in result.output and "outside -2**53..2**53" in result.output


@pytest.mark.parametrize("command", ["report", "profile", "leaderboard"])
def test_output_under_a_file_is_one_line(cli, tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    args = {
        "report": ["report", "-t", "dmf-t2", "--out", str(blocker / "t.md")],
        "profile": [*QUICK_PROFILE, "--json", str(blocker / "cost.json")],
        "leaderboard": ["leaderboard", "--results", str(tmp_path), "--out", str(blocker / "site")],
    }[command]
    result = cli.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "error:" in result.output and str(blocker) in result.output
    assert blocker.read_text() == "x"


def test_profile_input_too_large_is_refused(cli) -> None:
    result = cli.invoke(app, ["profile", "-m", "hsv-hist", "--device", "cpu", "--input", "100000x100000"])
    assert_user_error(result, "--input 100000x100000: each side may be at most 2048 pixels")


def test_synth_interrupted_by_a_full_disk_says_so_and_the_rerun_finishes(
    cli, tmp_path: Path, monkeypatch
) -> None:
    root = tmp_path / "world"
    real_replace, calls = os.replace, []

    def full_after_ten(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) > 10:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr("harness.atomic.os.replace", full_after_ten)
    args = ["data", "synth", "--root", str(root), "--dataset", "viper"]
    output = assert_user_error(
        cli.invoke(app, args), "No space left on device", "files written so far are kept"
    )
    assert "run the same command again" in output and not (root / "harness-synthetic.json").exists()
    monkeypatch.setattr("harness.atomic.os.replace", real_replace)
    again = cli.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert (root / "harness-synthetic.json").is_file() and not (root / "harness-synthetic.partial").exists()
    other_seed = cli.invoke(app, [*args, "--seed", "1"])
    assert_user_error(other_seed, "already holds a synthetic world with seed 0")
