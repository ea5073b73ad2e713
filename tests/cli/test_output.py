"""Output fit for pipes, logs and 80 columns: literal strings, uncut names, formats, plain progress."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.cli.console import NoteLog, plain_progress
from harness.methods import METHODS
from harness.protocols import PROTOCOLS

REPO = Path(__file__).resolve().parents[2]
MARKUP = re.compile(r"\[/[a-z ]*\]|\[(bold|dim|red|green|yellow|blue|italic)\b[^\]]*\]")


def _harness(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """``python -m harness ARGS`` with stdout a pipe, as in ``harness ... | grep``."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_list_methods_piped_to_grep_at_80_columns_finds_every_name() -> None:
    result = _harness("list", "methods")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert [line for line in lines if "clip-reid" in line]  # `harness list methods | grep clip-reid`
    first_cells = {line.split("│")[1].strip() for line in lines if line.startswith("│")}
    assert set(METHODS.names()) <= first_cells  # every name whole in its own cell, never "clip-re…"
    assert "…" not in result.stdout


@pytest.mark.parametrize("kind", ["methods", "protocols", "datasets"])
def test_list_formats_carry_every_name(cli, kind: str) -> None:
    registry = {"methods": METHODS, "protocols": PROTOCOLS}.get(kind)
    as_csv = cli.invoke(app, ["list", kind, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    as_json = json.loads(cli.invoke(app, ["list", kind, "--format", "json"]).stdout)
    key = kind[:-1]
    assert [r[key] for r in rows] == [o[key] for o in as_json]
    if registry is not None:
        assert [o[key] for o in as_json] == registry.names()
    if kind == "protocols":
        p1 = next(o for o in as_json if o["protocol"] == "p1")
        assert p1["legs"] == [leg.name for leg in PROTOCOLS.get("p1").legs]  # a JSON list, not a string


def test_show_protocol_prints_train_parts_literally(cli) -> None:
    """rich markup swallowed ``[train+query]``, the only difference between p2 and p3."""
    outputs = {}
    for name in ("p2", "p3"):
        result = cli.invoke(app, ["show", "protocol", name], env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        outputs[name] = result.output
    assert "market1501 [train]" in outputs["p2"] and "[train+query+gallery]" not in outputs["p2"]
    assert "market1501 [train+query+gallery]" in outputs["p3"]
    for spec in (PROTOCOLS.get("p2"), PROTOCOLS.get("p3")):
        for leg in spec.legs:
            for source in leg.train:
                assert f"{source.dataset} [{'+'.join(source.parts)}]" in outputs[spec.name]


def test_strings_reach_the_terminal_literally(cli, tmp_path: Path) -> None:
    odd = tmp_path / "[bold]results[/]"
    result = cli.invoke(app, ["check", str(odd), "--expected", str(odd / "x.yaml")])
    assert result.exit_code == 2 and "[bold]results[/]" in result.output


def test_no_rich_markup_left_in_the_package() -> None:
    """Consoles print literally (markup off): styling is explicit, so markup in a string is a bug."""
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in sorted((REPO / "harness").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MARKUP.search(line) and "MARKUP" not in line
    ]
    assert offenders == []


def test_plain_progress_lines_at_a_steady_rate() -> None:
    now = [0.0]
    stream = io.StringIO()
    advance = plain_progress(stream, clock=lambda: now[0])("M: encode gallery", 1000)
    for _ in range(100):  # 10 images per second for 100 s
        now[0] += 1.0
        advance(10)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10  # one per 10 %
    assert lines[0] == "M: encode gallery: 100/1000 (10%) 10.0 img/s, elapsed 0:10, ETA 1:30"
    assert lines[-1].startswith("M: encode gallery: 1000/1000 (100%)") and lines[-1].endswith("done")
    slow = io.StringIO()
    now[0] = 0.0
    advance = plain_progress(slow, clock=lambda: now[0])("slow", 10_000)
    for _ in range(120):  # 1 image per second: 1 % in 100 s, so the 30 s rule prints
        now[0] += 1.0
        advance(1)
    times = [line.split("elapsed ")[1].split(",")[0] for line in slow.getvalue().splitlines()]
    assert times == ["0:30", "1:00", "1:30", "2:00"]
    assert "1.0 img/s" in slow.getvalue() and "ETA 2:44:40" in slow.getvalue()


def test_plain_progress_says_cached_instead_of_a_speed_and_counts_captions() -> None:
    from harness.engine.encoder import advance_cached

    now = [0.0]
    stream = io.StringIO()
    hook = plain_progress(stream, clock=lambda: now[0])
    now[0] += 0.001
    advance_cached(hook("M: encode gallery", 94), 94)  # a cache hit: no fake 94,000 img/s
    assert stream.getvalue().splitlines() == ["M: encode gallery: 94/94 (100%) (cached), elapsed 0:00, done"]
    captions = io.StringIO()
    advance = plain_progress(captions, clock=lambda: now[0])("M: encode captions", 20)
    advance_cached(advance, 10)
    now[0] += 5.0
    advance(10)
    assert captions.getvalue().splitlines()[-1] == (
        "M: encode captions: 20/20 (100%) 2.0 captions/s (10 cached), elapsed 0:05, done"
    )
    advance_cached(lambda n: None, 3)  # a hook without ``cached`` is simply advanced


def test_list_methods_never_breaks_a_name_or_alias_at_80_columns(cli) -> None:
    result = cli.invoke(app, ["list", "methods"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in result.stdout
    cells = {c.strip() for line in lines if line.startswith("│") for c in line.split("│")[1:3]}
    names = set(METHODS.names()) | {alias for n in METHODS.names() for alias in METHODS.get(n).aliases}
    assert names <= cells  # each name and alias whole in its own cell line (no "part-aware-tr" / "ansformer")


def test_each_note_once() -> None:
    from rich.console import Console

    buffer = io.StringIO()
    notes = NoteLog(Console(file=buffer, markup=False, width=200))
    for note in ["synthetic data", "random-init", "synthetic data", "[x] literal"] * 3:
        notes(note)
    assert buffer.getvalue().splitlines() == [
        "  note: synthetic data",
        "  note: random-init",
        "  note: [x] literal",
    ]


@pytest.fixture()
def two_legs(tiny_world: Path, tmp_path: Path) -> list[str]:
    args = ["run", "-p", "single", "-m", "hsv-hist", "--leg", "market1501", "--leg", "cuhk03-labeled"]
    return [*args, "--data-root", str(tiny_world), "--out", str(tmp_path), "--device", "cpu", "--no-progress"]


def test_run_prints_each_leg_once_notes_once_and_uncut_legs(cli, two_legs: list[str]) -> None:
    result = cli.invoke(app, two_legs, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines if re.match(r"^[\w-]+: R1 ", line)] == [
        "market1501",
        "cuhk03-labeled",
    ]
    assert sum("note: synthetic data" in line for line in lines) == 1  # two legs, one note line
    rows = [line for line in lines if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["market1501", "cuhk03-labeled"]
    assert "[yellow]" not in result.output and "[dim]" not in result.output
    header = [line for line in lines if line.startswith("┃")]
    words = {w for line in header for cell in line.split("┃")[1:-1] for w in cell.split()}
    assert {"leg", "R1", "mAP", "queries", "(valid)"} <= words, header  # headers break at spaces only
    assert max(len(line) for line in lines if line[:1] in "┏┃┡│└") <= 80


def test_run_formats_stream_one_row_per_leg(cli, two_legs: list[str]) -> None:
    as_json = cli.invoke(app, [*two_legs, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    objects = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [o["leg"] for o in objects] == ["market1501", "cuhk03-labeled"]
    assert all(0.0 <= o["metrics"]["R1"] <= 1.0 and Path(o["path"]).is_file() for o in objects)
    assert "note:" not in as_json.stdout and "note: synthetic data" in as_json.stderr
    as_csv = cli.invoke(app, [*two_legs, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["leg"] for r in rows] == ["market1501", "cuhk03-labeled"]
    assert float(rows[0]["R1"]) == objects[0]["metrics"]["R1"]


def test_each_leg_is_reported_before_the_next_starts(tiny_world: Path, tmp_path: Path) -> None:
    from harness.runner import RunOptions, run_protocol

    events: list[str] = []

    def hook(description: str, total: int):
        events.append(f"start {description}")
        return lambda n: None

    run_protocol(
        "single",
        "hsv-hist",
        RunOptions(data_root=tiny_world, out_dir=tmp_path, device="cpu"),
        legs=["market1501", "cuhk03-labeled"],
        progress=hook,
        on_outcome=lambda outcome: events.append(f"done {outcome.record.protocol.leg}"),
    )
    assert events.index("done market1501") < events.index("start cuhk03-labeled: encode query")
    assert events[-1] == "done cuhk03-labeled"


def test_progress_is_plain_lines_when_not_a_terminal(cli, tiny_world: Path, tmp_path: Path) -> None:
    args = ["run", "-p", "single", "-m", "hsv-hist", "--leg", "market1501", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--out", str(tmp_path), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if "encode gallery" in line]
    assert progress and re.search(r"\(100%\) [\d,.]+ img/s, elapsed \d+:\d\d, done$", progress[-1])
    assert "\x1b[" not in result.stderr  # no bars, no cursor movement in a log


def test_tables_fit_the_width_and_keep_their_right_edge() -> None:
    """rich crops a table whose columns' minimum widths exceed the terminal; print_table refits it."""
    from rich.console import Console
    from rich.text import Text

    from harness.cli import console

    buffer = io.StringIO()
    narrow = Console(file=buffer, width=80, markup=False)
    legs = [f"cuhk-pedes@mask0.{i}" for i in range(6)]
    table = console.key_table("leg", "R1", "R5", "R10", "mAP", "mINP", "queries (valid)", widths=[18])
    for leg in legs:
        table.add_row(Text(leg), *["89.7 ± 1.9"] * 5, "100 (100)")
    console.print_table(table, narrow)
    lines = buffer.getvalue().splitlines()
    assert all(len(line) <= 80 and line[-1] in "┓┃┩│┘" for line in lines)
    first = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    assert [cell for cell in first if cell] == legs  # whole, one per row


def test_run_table_never_breaks_a_header_or_number_mid_word_at_80_columns() -> None:
    from rich.console import Console
    from rich.text import Text

    from harness.cli import console

    names = ["R1", "R5", "R10", "mAP", "mINP"]
    for metrics, plain in [(names, False), ([*names, "R1 (reranked)", "mAP (reranked)"], True)]:
        buffer = io.StringIO()
        narrow = Console(file=buffer, width=80, markup=False)
        table = console.key_table("leg", *metrics, "queries (valid)", title="m on p", widths=[14])
        table.add_row(Text("cuhk03-labeled"), *["71.48"] * len(metrics), "3368 (3368)")
        console.print_table(table, narrow, whole_words=True)
        text = buffer.getvalue()
        if plain:  # too many columns for whole words: one plain line per leg, nothing cut
            assert text.splitlines() == [
                "m on p",
                "cuhk03-labeled: R1 71.48  R5 71.48  R10 71.48  mAP 71.48  mINP 71.48  "
                "R1 (reranked) 71.48  mAP (reranked) 71.48  queries (valid) 3368 (3368)",
            ]
            continue
        lines = text.splitlines()
        assert all(len(line) <= 80 for line in lines)
        words = {w for line in lines for cell in re.split("[┃│]", line)[1:-1] for w in cell.split()}
        assert {"queries", "(valid)", "71.48", "3368", "(3368)", "cuhk03-labeled"} <= words
