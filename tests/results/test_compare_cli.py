"""``harness compare`` end to end on records from ``harness run`` (two methods, p1 and p2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.results import read_record
from harness.results.compare import ROW_KEYS
from harness.results.per_query import PerQuery, load_per_query_file, write_per_query
from tests.results.conftest import record_file


def test_compare_prints_paired_deltas_per_leg(cli, two_methods: Path) -> None:
    result = cli.invoke(app, ["compare", "--results", str(two_methods), "hsv-hist", "attr-match"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "mAP (%): A = hsv-hist, B = attr-match"
    assert lines[1].split("\t") == [
        "protocol", "leg", "A", "B", "delta", "95% CI", "p", "p (Holm)", "pairs", "test"
    ]  # fmt: skip
    rows = [line.split("\t") for line in lines[2:-1]]
    legs = {("p1", leg) for leg in ("prid", "grid", "viper", "ilids")} | {
        ("p2", leg) for leg in ("C3", "MS", "M")
    }
    assert {(r[0], r[1]) for r in rows} == legs
    assert "paired bootstrap" in lines[-1]


@pytest.mark.parametrize("metric", ["mAP", "R1"])
def test_compare_json_rows_match_records_and_holm(cli, two_methods: Path, metric: str) -> None:
    args = ["compare", "--results", str(two_methods), "hsv-hist", "attr-match", "--metric", metric, "--json"]
    result = cli.invoke(app, [*args, "-p", "p2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["leg"] for r in rows] == ["C3", "M", "MS"]
    for row in rows:
        assert tuple(row)[:11] == ROW_KEYS
        a = read_record(record_file(two_methods, "hsv-hist", "p2", row["leg"]))
        b = read_record(record_file(two_methods, "attr-match", "p2", row["leg"]))
        assert row["a"] == pytest.approx(a.metrics[metric]) and row["b"] == pytest.approx(b.metrics[metric])
        assert row["delta"] == pytest.approx(row["a"] - row["b"])
        assert row["ci_low"] <= row["delta"] <= row["ci_high"]
        assert 0 < row["p_value"] <= row["p_adjusted"] <= 1
        assert row["n_pairs"] == a.counts.n_valid_query
        assert row["test"] == ("exact McNemar" if metric == "R1" else "paired sign-flip")


def test_compare_multi_trial_leg_pairs_every_trial(cli, two_methods: Path) -> None:
    args = ["compare", "--results", str(two_methods), "hsv-hist", "attr-match", "-p", "p1", "--leg", "grid"]
    result = cli.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["n_pairs"] == 10 * 8 and row["p_adjusted"] == row["p_value"]  # one leg: Holm changes nothing


def _copy(two_methods: Path, tmp_path: Path, leg: str = "M") -> Path:
    for method in ("hsv-hist", "attr-match"):
        src = record_file(two_methods, method, "p2", leg)
        dst = tmp_path / method / "p2"
        dst.mkdir(parents=True)
        for suffix in (".json", ".queries.npz"):
            shutil.copy(src.with_name(src.stem + suffix), dst / f"{src.stem}{suffix}")
    return tmp_path


def test_compare_refuses_old_records(cli, two_methods: Path, tmp_path: Path) -> None:
    root = _copy(two_methods, tmp_path)
    path = record_file(root, "attr-match", "p2", "M")
    raw = json.loads(path.read_text())
    raw.pop("per_query"), raw.pop("intervals")
    path.write_text(json.dumps(raw))
    result = cli.invoke(app, ["compare", "--results", str(root), "hsv-hist", "attr-match"])
    assert result.exit_code == 2
    assert "lack(s) per-query outcomes" in result.output and path.name in result.output


def test_compare_refuses_unpaired_queries_and_versions(cli, two_methods: Path, tmp_path: Path) -> None:
    root = _copy(two_methods, tmp_path)
    rec = record_file(root, "attr-match", "p2", "M")
    npz = rec.with_name(rec.stem + ".queries.npz")
    pq = load_per_query_file(npz)
    cols = dict(pq.columns)
    cols["query_path"] = cols["query_path"].copy()
    cols["query_path"][0] = "elsewhere/0.jpg"
    sha = write_per_query(npz, PerQuery(cols, pq.meta))
    raw = json.loads(rec.read_text())
    raw["per_query"]["sha256"] = sha
    rec.write_text(json.dumps(raw))
    result = cli.invoke(app, ["compare", "--results", str(root), "hsv-hist", "attr-match"])
    assert result.exit_code == 2 and "do not pair" in result.output
    raw["protocol"]["version"] = 99
    rec.write_text(json.dumps(raw))
    result = cli.invoke(app, ["compare", "--results", str(root), "hsv-hist", "attr-match"])
    assert result.exit_code == 2 and "protocol versions differ" in result.output


def test_compare_names_missing_methods_and_legs(cli, two_methods: Path) -> None:
    base = ["compare", "--results", str(two_methods), "hsv-hist"]
    result = cli.invoke(app, [*base, "clip"])
    assert result.exit_code == 2 and "no result record of method 'clip'" in result.output
    result = cli.invoke(app, [*base, "attr-match", "-p", "p2", "--leg", "nope"])
    assert result.exit_code == 2 and "share no record" in result.output
    result = cli.invoke(app, [*base, "attr-match", "--metric", "AUC", "-p", "p2"])
    assert result.exit_code == 2 and "AUC" in result.output


def test_cells_pair_random_init_with_weights_free(two_methods: Path) -> None:
    from harness.results.compare import cell_leg
    from harness.results.identity import record_key

    record = read_record(record_file(two_methods, "attr-match", "p2", "M"))
    random_init = record.model_copy(
        update={"method": record.method.model_copy(update={"weights": "random-init"})}
    )
    assert record_key(random_init).leg_label.endswith("+random-init")  # its own record file ...
    assert cell_leg(random_init) == cell_leg(record) == "M"  # ... but the same cell to compare
