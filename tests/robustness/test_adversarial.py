"""The issue-15 adversarial pass, one parametrised case per hostile input (docs/adversarial-cases.md).

Each case builds its input under ``tmp_path`` and runs one command as a user would. ``error`` cases
must exit with status 2 and one ``error:`` line holding every fragment, without a traceback;
``ok`` cases must succeed. Every case also checks that nothing outside ``tmp_path`` was written and
that no file the case marked as precious changed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.cli.app import app
from tests.robustness._support import assert_user_error, copy_datasets

REPO = Path(__file__).resolve().parents[2]
MARKET = Path("market1501") / "Market-1501-v15.09.15"
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{n}: &{n} [{','.join(f'*{p}' for _ in range(9))}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


@dataclass
class Case:
    """What one case runs and expects."""

    args: list[str]
    fragments: tuple[str, ...] = ()
    ok: bool = False
    status: int = 2  # 1: a check that found a problem (``cache verify``), reported, not an error
    env: dict[str, str] = field(default_factory=dict)
    precious: list[Path] = field(default_factory=list)


class World:
    """Lazily made inputs of one case, all under ``tmp``."""

    def __init__(self, tiny_world: Path, tmp: Path) -> None:
        self.tiny_world, self.tmp = tiny_world, tmp

    def data(self, *folders: str) -> Path:
        root = self.tmp / "data"
        if not root.exists():
            copy_datasets(self.tiny_world, root)
        for folder in folders:
            if not (root / folder).exists():
                shutil.copytree(
                    self.tiny_world / folder, root / folder, ignore=shutil.ignore_patterns("*.lock")
                )
        return root

    def run(
        self,
        *extra: str,
        protocol: str = "single",
        leg: str = "market1501",
        method: str = "hsv-hist",
        data: Path | None = None,
    ) -> list[str]:
        root = data if data is not None else self.data("market1501")
        return [
            "run",
            "-p",
            protocol,
            "-m",
            method,
            "--leg",
            leg,
            "--data-root",
            str(root),
            "--out",
            str(self.tmp / "out"),
            "--device",
            "cpu",
            "--no-progress",
            "--batch-size",
            "16",
            *extra,
        ]

    def t2i(self, data: Path) -> list[str]:
        """``harness run`` of the weights-free text baseline on CUHK-PEDES under ``data``."""
        return self.run(protocol="t2i", leg="cuhk-pedes", method="attr-match", data=data)

    def edit_caption(self, index: int, key: str, value: object) -> Path:
        """The data root, with entry ``index`` of the CUHK-PEDES annotation given ``key: value``."""
        data = self.data("CUHK-PEDES")
        annotation = data / "CUHK-PEDES" / "reid_raw.json"
        entries = json.loads(annotation.read_text())
        entries[index][key] = value(data, entries[index]) if callable(value) else value
        annotation.write_text(json.dumps(entries))
        return data

    def protocol_dir(self, name: str, text: str | bytes) -> dict[str, str]:
        folder = self.tmp / "protocols"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return {"HARNESS_PROTOCOL_PATH": str(folder)}

    def single_protocol(self, **replace: str) -> str:
        text = (REPO / "protocols" / "single.yaml").read_text()
        text = text.replace("name: single", "name: mine", 1).replace("aliases: [sdl]", "aliases: []")
        for old, new in replace.items():
            text = text.replace(old, new)
        return text

    def card_dir(self, name: str, text: str | None = None, *, folder: str | None = None) -> dict[str, str]:
        cards = self.tmp / "cards"
        target = cards / (folder or name)
        target.mkdir(parents=True, exist_ok=True)
        if text is None:
            text = (REPO / "methods" / "hsv-hist" / "method.yaml").read_text()
            text = text.replace("name: hsv-hist", f"name: {json.dumps(name)}", 1).replace(
                "aliases: [hsv]", "aliases: []"
            )
        (target / "method.yaml").write_text(text)
        return {"HARNESS_METHOD_PATH": str(cards)}

    def cache_after_run(self) -> Path:
        from typer.testing import CliRunner

        cache = self.tmp / "cache"
        result = CliRunner().invoke(app, [*self.run("--cache-dir", str(cache))])
        assert result.exit_code == 0, result.output
        return cache


def _meta(cache: Path) -> Path:
    return next(cache.rglob("meta.json"))


def _replace_meta(cache: Path, make: Callable[[Path], None]) -> None:
    meta = _meta(cache)
    meta.unlink()
    make(meta)


# ------------------------------------------------------------------------------- cases


def yaml_bomb_in_protocol(w: World) -> Case:
    env = w.protocol_dir("mine", w.single_protocol() + "\n" + BOMB.replace("a: &a", "x_a: &a"))
    return Case(["list", "protocols"], ("mine.yaml", "YAML bomb"), env=env)


def yaml_cycle_in_protocol(w: World) -> Case:
    return Case(
        ["list", "protocols"], ("mine.yaml", "a cycle"), env=w.protocol_dir("mine", "name: &a [*a]\n")
    )


def yaml_deep_nesting_in_protocol(w: World) -> Case:
    env = w.protocol_dir("mine", "x: " + "[" * 20000 + "]" * 20000 + "\n")
    return Case(["list", "protocols"], ("mine.yaml", "nested more than"), env=env)


def yaml_not_utf8_protocol(w: World) -> Case:
    return Case(
        ["list", "protocols"], ("mine.yaml", "not UTF-8"), env=w.protocol_dir("mine", b"name: \xff\xfe\n")
    )


def yaml_oversized_protocol(w: World) -> Case:
    env = w.protocol_dir("mine", "# " + "x" * (5 * 1024 * 1024) + "\n")
    return Case(["list", "protocols"], ("mine.yaml", "larger than 4 MiB"), env=env)


def yaml_python_tag_in_protocol(w: World) -> Case:
    env = w.protocol_dir("mine", "name: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    return Case(["list", "protocols"], ("mine.yaml", "not valid YAML"), env=env)


def yaml_fifo_protocol(w: World) -> Case:
    folder = w.tmp / "protocols"
    folder.mkdir()
    os.mkfifo(folder / "mine.yaml")  # opening it would block for ever
    return Case(
        ["list", "protocols"], ("mine.yaml", "not a regular file"), env={"HARNESS_PROTOCOL_PATH": str(folder)}
    )


def protocol_leg_name_traversal(w: World) -> Case:
    env = w.protocol_dir("mine", w.single_protocol(**{"- name: market1501": "- name: ../../evil"}))
    return Case(["list", "protocols"], ("legs[0].name", "'../../evil'", "path separator"), env=env)


def protocol_leg_name_control_character(w: World) -> Case:
    env = w.protocol_dir("mine", w.single_protocol(**{"- name: market1501": '- name: "m\\x1b[2Jx"'}))
    return Case(["list", "protocols"], ("legs[0].name", "control character"), env=env)


def protocol_leg_name_dot(w: World) -> Case:
    env = w.protocol_dir("mine", w.single_protocol(**{"- name: market1501": '- name: ".."'}))
    return Case(["list", "protocols"], ("legs[0].name", "relative folder reference"), env=env)


def protocol_empty_file(w: World) -> Case:
    return Case(["list", "protocols"], ("mine.yaml", "expected a mapping"), env=w.protocol_dir("mine", ""))


def protocol_alias_collides_with_builtin_alias(w: World) -> Case:
    env = w.protocol_dir("mine", w.single_protocol().replace("aliases: []", "aliases: [protocol-2]"))
    return Case(
        ["list", "protocols"], ("mine.yaml", "alias 'protocol-2'", "already defined by", "p2.yaml"), env=env
    )


def protocol_path_is_a_file(w: World) -> Case:
    blocker = w.tmp / "a-file"
    blocker.write_text("x")
    return Case(["list", "protocols"], ("not a directory",), env={"HARNESS_PROTOCOL_PATH": str(blocker)})


def card_variant_name_traversal(w: World) -> Case:
    text = (
        (REPO / "methods" / "hsv-hist" / "method.yaml").read_text().replace("name: hsv-hist", "name: mine", 1)
    )
    text = text.replace("aliases: [hsv]", "aliases: []") + "variants:\n  ../../x: {stripes: 4}\n"
    return Case(["list", "methods"], ("variants.../../x", "path separator"), env=w.card_dir("mine", text))


def card_hidden_name(w: World) -> Case:
    return Case(["list", "methods"], ("'.mine'", "starts with a dot"), env=w.card_dir(".mine"))


def card_top_level_list(w: World) -> Case:
    return Case(
        ["list", "methods"], ("method.yaml", "expected a mapping"), env=w.card_dir("mine", "- a\n- b\n")
    )


def card_alias_collides_with_builtin_name(w: World) -> Case:
    env = w.card_dir("mine")
    card = w.tmp / "cards" / "mine" / "method.yaml"
    card.write_text(card.read_text().replace("aliases: []", "aliases: [transreid]"))
    return Case(
        ["list", "methods"], ("alias 'transreid'", "already defined by", "methods/transreid"), env=env
    )


def card_yaml_bomb_in_checkpoints(w: World) -> Case:
    text = (
        (REPO / "methods" / "hsv-hist" / "method.yaml").read_text().replace("name: hsv-hist", "name: mine", 1)
    )
    text = text.replace("aliases: [hsv]", "aliases: []").replace(
        "checkpoints: {}", "checkpoints:\n  default: *i"
    )
    return Case(["list", "methods"], ("method.yaml", "YAML bomb"), env=w.card_dir("mine", BOMB + "\n" + text))


def expected_cycle(w: World) -> Case:
    expected = w.tmp / "expected.yaml"
    expected.write_text("entries: &e [*e]\n")
    (w.tmp / "res").mkdir()
    return Case(["check", str(w.tmp / "res"), "--expected", str(expected)], ("no result records",))


def expected_fifo(w: World) -> Case:
    from typer.testing import CliRunner

    assert CliRunner().invoke(app, w.run()).exit_code == 0
    expected = w.tmp / "expected.yaml"
    os.mkfifo(expected)
    return Case(
        ["check", str(w.tmp / "out"), "--expected", str(expected)], ("expected.yaml", "not a regular file")
    )


def msmt_list_absolute_path(w: World) -> Case:
    data = w.data("msmt17")
    listing = data / "msmt17" / "MSMT17_V1" / "list_query.txt"
    lines = listing.read_text().splitlines()
    listing.write_text("\n".join(["/etc/passwd_0_01_x.jpg 1", *lines[1:]]) + "\n")
    return Case(w.run(leg="msmt17", data=data), (f"{listing}:1", "must be relative"))


def msmt_list_huge_pid(w: World) -> Case:
    data = w.data("msmt17")
    listing = data / "msmt17" / "MSMT17_V1" / "list_query.txt"
    lines = listing.read_text().splitlines()
    rel = lines[0].split()[0]
    listing.write_text("\n".join([f"{rel} {10**30}", *lines[1:]]) + "\n")
    return Case(w.run(leg="msmt17", data=data), ("person id", "outside -2**53..2**53"))


def msmt_list_is_a_fifo(w: World) -> Case:
    data = w.data("msmt17")
    listing = data / "msmt17" / "MSMT17_V1" / "list_val.txt"
    listing.unlink()
    os.mkfifo(listing)
    return Case(w.run(leg="msmt17", data=data), ("list_val.txt", "not a regular file"))


def msmt_list_is_a_folder(w: World) -> Case:
    data = w.data("msmt17")
    listing = data / "msmt17" / "MSMT17_V1" / "list_val.txt"
    listing.unlink()
    listing.mkdir()
    return Case(w.run(leg="msmt17", data=data), ("list_val.txt", "not a regular file"))


def msmt_list_not_utf8(w: World) -> Case:
    data = w.data("msmt17")
    listing = data / "msmt17" / "MSMT17_V1" / "list_query.txt"
    listing.write_bytes(b"\xff\xfe garbage 1\n")
    return Case(w.run(leg="msmt17", data=data), ("list_query.txt", "cannot read list file"))


def market_huge_pid_in_file_name(w: World) -> Case:
    data = w.data("market1501")
    query = data / MARKET / "query"
    first = sorted(query.iterdir())[0]
    first.rename(query / ("9" * 30 + first.name[4:]))
    return Case(w.run(data=data), ("person id", "outside -2**53..2**53"))


def image_link_to_a_device(w: World) -> Case:
    data = w.data("market1501")
    (data / MARKET / "query" / "0001_c1s9_000999_01.jpg").symlink_to("/dev/zero")
    return Case(w.run(data=data), ("0001_c1s9_000999_01.jpg", "a device file where an image belongs"))


def image_name_not_utf8_in_gallery(w: World) -> Case:
    data = w.data("market1501")
    gallery = data / MARKET / "bounding_box_test"
    first = sorted(p for p in gallery.iterdir() if not p.name.startswith("-1"))[0]
    first.rename(gallery / os.fsdecode(os.fsencode(first.stem) + b"\xe9\xff.jpg"))
    return Case(w.run(data=data), ok=True)


def caption_json_deeply_nested(w: World) -> Case:
    data = w.data("CUHK-PEDES")
    (data / "CUHK-PEDES" / "reid_raw.json").write_text("[" * 100000 + "]" * 100000)
    return Case(w.t2i(data), ("reid_raw.json", "nested too deeply"))


def caption_json_nan_id(w: World) -> Case:
    return Case(w.t2i(w.edit_caption(0, "id", float("nan"))), ("entry 0", "'id' must be an integer"))


def caption_json_is_a_fifo(w: World) -> Case:
    data = w.data("CUHK-PEDES")
    annotation = data / "CUHK-PEDES" / "reid_raw.json"
    annotation.unlink()
    os.mkfifo(annotation)
    return Case(w.t2i(data), ("reid_raw.json", "not a regular file"))


def caption_file_path_absolute(w: World) -> Case:
    data = w.edit_caption(3, "file_path", lambda root, e: str(root / "CUHK-PEDES" / "imgs" / e["file_path"]))
    return Case(w.t2i(data), ("entry 3", "must be relative"))


def synth_marker_is_a_list(w: World) -> Case:
    data = w.data("market1501")
    (data / "harness-synthetic.json").write_text("[1, 2]")
    return Case(w.run(data=data), ("harness-synthetic.json", "unreadable synthetic-world marker"))


def synth_marker_datasets_is_a_string(w: World) -> Case:
    data = w.data("market1501")
    (data / "harness-synthetic.json").write_text('{"datasets": "market1501"}')
    return Case(w.run(data=data), ("harness-synthetic.json", "unreadable synthetic-world marker"))


def data_root_with_markup_in_its_name(w: World) -> Case:
    return Case(w.run(data=w.tmp / "[bold red]nope"), ("[bold red]nope", "does not exist"))


def cache_meta_is_a_folder(w: World) -> Case:
    cache = w.cache_after_run()
    _replace_meta(cache, lambda meta: meta.mkdir())
    return Case(
        ["cache", "verify", "--cache-dir", str(cache)], ("meta.json is not a regular file",), status=1
    )


def cache_meta_links_outside(w: World) -> Case:
    cache = w.cache_after_run()
    outside = w.tmp / "outside.json"
    outside.write_text(_meta(cache).read_text())
    _replace_meta(cache, lambda meta: meta.symlink_to(outside))
    before = outside.read_text()
    case = Case(w.run("--cache-dir", str(cache)), ok=True, precious=[outside])
    case.env["_expect_outside"] = before
    return case


def cache_meta_deeply_nested(w: World) -> Case:
    cache = w.cache_after_run()
    _meta(cache).write_text("[" * 100000 + "]" * 100000)
    return Case(w.run("--cache-dir", str(cache)), ok=True)


def cache_meta_not_utf8(w: World) -> Case:
    cache = w.cache_after_run()
    _meta(cache).write_bytes(b"\xff\xfe{}")
    return Case(["cache", "verify", "--cache-dir", str(cache)], ("meta.json is unreadable",), status=1)


def cache_entry_is_a_file(w: World) -> Case:
    cache = w.cache_after_run()
    entry = _meta(cache).parent
    shutil.rmtree(entry)
    entry.write_text("not a folder")
    return Case(w.run("--cache-dir", str(cache)), ok=True)


def cache_lock_is_a_folder(w: World) -> Case:
    cache = w.cache_after_run()
    for lock in cache.rglob("entry.lock"):
        lock.unlink()
        lock.mkdir()
    return Case(w.run("--cache-dir", str(cache)), ok=True)


def cache_dir_is_a_file(w: World) -> Case:
    blocker = w.tmp / "a-file"
    blocker.write_text("x")
    return Case(["cache", "ls", "--cache-dir", str(blocker)], ("is a file, expected a folder",))


def cache_method_name_with_markup_is_printed_literally(w: World) -> Case:
    env = w.card_dir("m[bold]x")
    os.environ.update(env)
    try:
        from typer.testing import CliRunner

        from harness.methods.registry import METHODS

        METHODS._loaded = False
        result = CliRunner().invoke(app, w.run("--cache-dir", str(w.tmp / "cache"), method="m[bold]x"))
        assert result.exit_code == 0, result.output
    finally:
        for key in env:
            os.environ.pop(key)
    return Case(["cache", "ls", "--cache-dir", str(w.tmp / "cache")], ("m[bold]x",), ok=True, env=env)


def cache_stale_temp_file_dangling_link(w: World) -> Case:
    cache = w.cache_after_run()
    stale = _meta(cache).parent / ".meta.json.abc.tmp"
    stale.symlink_to(w.tmp / "gone")
    os.utime(stale, (0, 0), follow_symlinks=False)
    return Case(["cache", "prune", "--cache-dir", str(cache)], ok=True)


def report_out_is_a_fifo(w: World) -> Case:
    fifo = w.tmp / "t.md"
    os.mkfifo(fifo)
    return Case(["report", "-t", "dmf-t2", "--out", str(fifo)], ("t.md", "not a regular file"))


def report_out_is_a_folder(w: World) -> Case:
    (w.tmp / "t.md").mkdir()
    return Case(["report", "-t", "dmf-t2", "--out", str(w.tmp / "t.md")], ("t.md", "not a regular file"))


def profile_json_is_the_weights(w: World) -> Case:
    ckpt = w.tmp / "model.pth"
    ckpt.write_bytes(b"weights")
    args = ["profile", "-m", "transreid", "--device", "cpu", "--weights", str(ckpt), "--json", str(ckpt)]
    return Case(args, ("--json", "overlaps the input"), precious=[ckpt])


def manifest_out_foreign_parquet(w: World) -> Case:
    foreign = w.tmp / "m.parquet"
    foreign.write_bytes(b"not parquet at all")
    args = [
        "data",
        "manifest",
        "--protocol",
        "single",
        "--leg",
        "market1501",
        "--data-root",
        str(w.data("market1501")),
        "--out",
        str(foreign),
    ]
    return Case(args, ("m.parquet", "refusing to overwrite"), precious=[foreign])


def synth_root_is_a_link_to_real_data(w: World) -> Case:
    real = w.tmp / "real"
    (real / "msmt17").mkdir(parents=True)
    (real / "msmt17" / "list.txt").write_text("real")
    (w.tmp / "link").symlink_to(real)
    args = ["data", "synth", "--root", str(w.tmp / "link"), "--dataset", "viper"]
    return Case(args, ("is not empty", "not a synthetic world"), precious=[real / "msmt17" / "list.txt"])


def synth_own_world_with_a_link_out(w: World) -> Case:
    from typer.testing import CliRunner

    root = w.tmp / "world"
    assert (
        CliRunner().invoke(app, ["data", "synth", "--root", str(root), "--dataset", "viper"]).exit_code == 0
    )
    outside = w.tmp / "outside"
    shutil.move(root / "viper", outside)
    (root / "viper").symlink_to(outside, target_is_directory=True)
    args = ["data", "synth", "--root", str(root), "--dataset", "viper"]
    return Case(args, ("leads outside",))


def synth_own_world_file_replaced_by_a_link(w: World) -> Case:
    from typer.testing import CliRunner

    root = w.tmp / "world"
    assert (
        CliRunner().invoke(app, ["data", "synth", "--root", str(root), "--dataset", "viper"]).exit_code == 0
    )
    victim = sorted((root / "viper").rglob("*.bmp"))[0]
    secret = w.tmp / "secret.txt"
    secret.write_text("secret")
    victim.unlink()
    victim.symlink_to(secret)
    args = ["data", "synth", "--root", str(root), "--dataset", "viper"]
    return Case(args, (victim.name, "leads outside"), precious=[secret])


def synth_marker_is_garbage(w: World) -> Case:
    root = w.tmp / "world"
    root.mkdir()
    (root / "harness-synthetic.json").write_text("{not json")
    return Case(
        ["data", "synth", "--root", str(root), "--dataset", "viper"],
        ("harness-synthetic.json", "cannot read"),
    )


CASES = [
    yaml_bomb_in_protocol,
    yaml_cycle_in_protocol,
    yaml_deep_nesting_in_protocol,
    yaml_not_utf8_protocol,
    yaml_oversized_protocol,
    yaml_python_tag_in_protocol,
    yaml_fifo_protocol,
    protocol_leg_name_traversal,
    protocol_leg_name_control_character,
    protocol_leg_name_dot,
    protocol_empty_file,
    protocol_alias_collides_with_builtin_alias,
    protocol_path_is_a_file,
    card_variant_name_traversal,
    card_hidden_name,
    card_top_level_list,
    card_alias_collides_with_builtin_name,
    card_yaml_bomb_in_checkpoints,
    expected_cycle,
    expected_fifo,
    msmt_list_absolute_path,
    msmt_list_huge_pid,
    msmt_list_is_a_fifo,
    msmt_list_is_a_folder,
    msmt_list_not_utf8,
    market_huge_pid_in_file_name,
    image_link_to_a_device,
    image_name_not_utf8_in_gallery,
    caption_json_deeply_nested,
    caption_json_nan_id,
    caption_json_is_a_fifo,
    caption_file_path_absolute,
    synth_marker_is_a_list,
    synth_marker_datasets_is_a_string,
    data_root_with_markup_in_its_name,
    cache_meta_is_a_folder,
    cache_meta_links_outside,
    cache_meta_deeply_nested,
    cache_meta_not_utf8,
    cache_entry_is_a_file,
    cache_lock_is_a_folder,
    cache_dir_is_a_file,
    cache_method_name_with_markup_is_printed_literally,
    cache_stale_temp_file_dangling_link,
    report_out_is_a_fifo,
    report_out_is_a_folder,
    profile_json_is_the_weights,
    manifest_out_foreign_parquet,
    synth_root_is_a_link_to_real_data,
    synth_own_world_with_a_link_out,
    synth_own_world_file_replaced_by_a_link,
    synth_marker_is_garbage,
]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__ for c in CASES])
def test_adversarial_case(make, cli, tiny_world: Path, tmp_path: Path, monkeypatch, reset_registry) -> None:
    from harness.methods.registry import METHODS
    from harness.protocols.registry import PROTOCOLS

    monkeypatch.chdir(tmp_path)
    case = make(World(tiny_world, tmp_path))
    expect_outside = case.env.pop("_expect_outside", None)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    reset_registry(METHODS)
    reset_registry(PROTOCOLS)
    before = {p: p.read_bytes() for p in case.precious}
    result = cli.invoke(app, case.args)
    if case.status == 1:
        assert result.exit_code == 1 and "Traceback" not in result.output, (result.output, result.exception)
        for fragment in case.fragments:
            assert fragment in result.output, (fragment, result.output)
    elif case.ok:
        assert result.exit_code == 0 and "Traceback" not in result.output, (result.output, result.exception)
        for fragment in case.fragments:
            assert fragment in result.output, (fragment, result.output)
    else:
        output = assert_user_error(result, *case.fragments)
        assert len([line for line in output.splitlines() if line.startswith("error:")]) == 1, output
    assert {p: p.read_bytes() for p in case.precious} == before
    if expect_outside is not None:
        assert case.precious[0].read_text() == expect_outside
    assert not Path("/tmp/pwned").exists()


def test_there_are_at_least_forty_cases_and_each_is_documented() -> None:
    assert len(CASES) >= 40
    doc = (REPO / "docs" / "adversarial-cases.md").read_text()
    missing = [c.__name__ for c in CASES if f"`{c.__name__}`" not in doc]
    assert not missing, f"docs/adversarial-cases.md does not list: {missing}"
