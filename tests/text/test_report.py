from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.errors import ConfigError, ProtocolError, ResultError
from harness.protocols.spec import load_protocol_file
from harness.text.report import cross_dataset_table, format_table, robustness_plot, textmask_table


def frame() -> pd.DataFrame:
    rows = []
    values = {"IRRA": (0.6712, 0.6087, 0.5973, 0.5456), "DGCMIA": (0.6721, 0.6015, 0.6059, 0.5472)}
    for method, (r1a, mapa, r1b, mapb) in values.items():
        for ratio, r1, map_ in ((0.1, r1a, mapa), (0.2, r1b, mapb)):
            rows += [
                {
                    "method": method,
                    "dataset": "cuhk-pedes",
                    "ratio": ratio,
                    "metric": "R1",
                    "value": r1,
                    "std": 0.01,
                },
                {"method": method, "dataset": "cuhk-pedes", "ratio": ratio, "metric": "mAP", "value": map_},
            ]
    return pd.DataFrame(rows)


def test_table_matches_seed_004_table2_rows() -> None:
    table = textmask_table(frame(), baseline="IRRA")
    assert list(table.columns) == [
        "dataset",
        "ratio",
        "IRRA R1",
        "IRRA mAP",
        "DGCMIA R1",
        "DGCMIA mAP",
        "Δ DGCMIA − IRRA R1",
        "Δ DGCMIA − IRRA mAP",
    ]
    first = table.iloc[0]
    assert first["IRRA R1"] == pytest.approx(67.12)
    assert first["Δ DGCMIA − IRRA R1"] == pytest.approx(0.09)  # printed +0.09
    assert first["Δ DGCMIA − IRRA mAP"] == pytest.approx(-0.72)  # printed -0.72
    md = format_table(table)
    assert "| cuhk-pedes | 0.1 | 67.12 | 60.87 | 67.21 | 60.15 | +0.09 | -0.72 |" in md
    assert "| cuhk-pedes | 0.2 | 59.73 | 54.56 | 60.59 | 54.72 | +0.86 | +0.16 |" in md
    csv = format_table(table, "csv")
    assert csv.splitlines()[1] == "cuhk-pedes,0.10,67.12,60.87,67.21,60.15,0.09,-0.72"


def test_table_options_and_errors() -> None:
    no_delta = textmask_table(frame(), metrics=("R1",), with_std=True)
    assert list(no_delta.columns) == [
        "dataset",
        "ratio",
        "DGCMIA R1",
        "DGCMIA R1 std",
        "IRRA R1",
        "IRRA R1 std",
    ]
    with pytest.raises(ConfigError, match="--baseline 'CLIP' has no text-mask results"):
        textmask_table(frame(), baseline="CLIP")
    with pytest.raises(ConfigError, match=r"metrics \['R5'\] are not in the results"):
        textmask_table(frame(), metrics=("R5",))
    with pytest.raises(ResultError, match="two results for method 'IRRA', dataset 'cuhk-pedes'"):
        textmask_table(pd.concat([frame(), frame().iloc[:1]]))
    with pytest.raises(ResultError, match="lacks columns"):
        textmask_table(frame().drop(columns="ratio"))
    mixed = frame().assign(protocol_version=[1] * 4 + [2] * 4)
    with pytest.raises(ResultError, match="mix textmask protocol versions"):
        textmask_table(mixed)
    with pytest.raises(ConfigError, match="--format must be md or csv"):
        format_table(textmask_table(frame()), "html")


def test_plot_is_written(tmp_path: Path) -> None:
    path = robustness_plot(frame(), tmp_path / "plots" / "curve.svg", metric="mAP")
    assert path.read_text().lstrip().startswith("<?xml")
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_cross_dataset_table() -> None:
    df = pd.DataFrame(
        [
            {"method": "m", "train": "cuhk-pedes", "dataset": "cuhk-pedes", "metric": "R1", "value": 0.7306},
            {"method": "m", "train": "cuhk-pedes", "dataset": "rstpreid", "metric": "R1", "value": 0.5345},
            {"method": "m", "train": "rstpreid", "dataset": "cuhk-pedes", "metric": "R1", "value": 0.3226},
        ]
    )
    table = cross_dataset_table(df, "m", metrics=("R1",))
    assert list(table.columns) == ["train", "cuhk-pedes R1", "rstpreid R1"]
    assert table.set_index("train").loc["cuhk-pedes", "rstpreid R1"] == pytest.approx(53.45)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{mask_ratios: [0.0, 1.0]}", r"must lie in \[0, 1\)"),
        ("{mask_ratios: [0.1, 0.1]}", "repeated values"),
        ("{strategy: blank}", "text.strategy"),
        ("{repeats: 0}", "text.repeats"),
    ],
)
def test_text_block_is_validated(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\ntitle: t\nevaluation: {junk: none}\n"
        f"text: {text}\n"
        "legs:\n  - name: a\n"
        "    test: {dataset: rstpreid, query: test, gallery: test, query_modality: text}\n"
    )
    with pytest.raises(ProtocolError, match=message):
        load_protocol_file(path)


def test_text_block_needs_a_text_leg(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\ntitle: t\ntext: {mask_ratios: [0.1]}\n"
        "legs:\n  - name: a\n    test: {dataset: market1501}\n"
    )
    with pytest.raises(ProtocolError, match="needs at least one leg with query_modality: text"):
        load_protocol_file(path)
