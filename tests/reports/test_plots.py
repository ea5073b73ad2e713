"""Plots are produced in PNG and SVG, decode/parse, and their data helpers are right."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from harness.cli.app import app
from harness.errors import ConfigError
from harness.reports.measured import load_measured
from harness.reports.plots.pareto import pareto_front, reported_complexity
from harness.reports.plots.ranked import rank_gallery
from harness.reports.plots.textmask import measured_textmask, reported_textmask
from harness.reports.plots.tsne import tsne
from tests.reports.records import make_record, write_records


def assert_plots(folder: Path, name: str) -> None:
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    with Image.open(png) as img:
        img.load()
        assert img.width > 100 and img.height > 100
        assert np.unique(np.asarray(img.convert("L"))).size > 2  # not a blank canvas
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 20


def test_cmc(cli, tmp_path):
    res = write_records(
        tmp_path / "res",
        [
            make_record(m, "single", "market1501", target="market1501", cmc=[a, a + 0.1, a + 0.2])
            for m, a in (("a", 0.5), ("b", 0.6))
        ],
    )
    result = cli.invoke(
        app,
        ["plot", "cmc", "--results", str(res), "-p", "single", "--leg", "market1501", "-o", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert_plots(tmp_path, "cmc")
    missing = cli.invoke(app, ["plot", "cmc", "--results", str(res), "-p", "single", "--leg", "nope"])
    assert missing.exit_code == 2 and "carries a CMC curve" in missing.output


def test_textmask_reported_measured_and_csv(cli, tmp_path):
    frame = reported_textmask()
    assert len(frame) == 60 and set(frame["method"]) == {"IRRA", "DGCMIA"}
    row = frame[(frame.method == "IRRA") & (frame.dataset == "cuhk-pedes") & (frame.ratio == 0.1)]
    assert row.set_index("metric").loc["R1", "value"] == pytest.approx(67.12)
    res = write_records(
        tmp_path / "res",
        [
            make_record(
                "mine",
                "textmask",
                "cuhk-pedes",
                target="cuhk-pedes",
                metrics={"R1": r, "mAP": r},
                mask_ratio=r,
            )
            for r in (0.1, 0.3, 0.5)
        ],
    )
    measured = measured_textmask(load_measured(res))
    assert sorted(measured["ratio"].unique()) == [0.1, 0.3, 0.5] and measured["value"].max() == pytest.approx(
        50
    )
    csv = tmp_path / "mask.csv"
    pd.DataFrame(
        {"method": "x", "dataset": "rstpreid", "ratio": [0.1, 0.2], "metric": "R1", "value": [40, 30]}
    ).to_csv(csv, index=False)
    result = cli.invoke(
        app, ["plot", "textmask", "--results", str(res), "--csv", str(csv), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert_plots(tmp_path, "textmask")
    bad = tmp_path / "bad.csv"
    bad.write_text("method,value\nx,1\n")
    result = cli.invoke(app, ["plot", "textmask", "--no-reported", "--csv", str(bad), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "missing dataset, ratio, metric" in result.output


def test_pareto_front_and_plot(cli, tmp_path):
    front = pareto_front(np.array([1, 2, 3, 2.5, np.nan]), np.array([50, 60, 70, 55, 99]))
    assert front.tolist() == [0, 1, 2]  # (2.5, 55) is beaten by (2, 60); NaN ignored
    reported = reported_complexity()
    lup = reported.set_index("method").loc["LuP-MLLM"]
    assert lup["gflops"] == pytest.approx(19.53) and lup["R1"] == pytest.approx(78.13)
    result = cli.invoke(app, ["plot", "pareto", "--cost", "params_M", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_plots(tmp_path, "pareto-params_M")
    assert cli.invoke(app, ["plot", "pareto", "--cost", "watts", "-o", str(tmp_path)]).exit_code == 2


def test_tsne_separates_identities_and_plots(cli, tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 16)) * 4
    pids = np.repeat(np.arange(4), 8)
    images = centres[pids] + rng.normal(size=(32, 16))
    texts = centres[pids] + rng.normal(size=(32, 16))
    emb = tsne(np.concatenate([images, texts]), perplexity=8, iterations=200)
    assert emb.shape == (64, 2) and np.isfinite(emb).all()
    both = np.concatenate([pids, pids])
    d = ((emb[:, None] - emb[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (both[d.argmin(1)] == both).mean() > 0.9  # neighbours share the identity
    np.testing.assert_allclose(emb, tsne(np.concatenate([images, texts]), perplexity=8, iterations=200))
    features = tmp_path / "f.npz"
    np.savez(features, image_features=images, image_pids=pids, text_features=texts, text_pids=pids)
    result = cli.invoke(
        app, ["plot", "tsne", "--features", str(features), "--iterations", "100", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert_plots(tmp_path, "tsne")
    with pytest.raises(ConfigError):
        tsne(np.zeros((3, 2)))


def test_ranked_lists(cli, tmp_path):
    paths = []
    for i, c in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]):
        path = tmp_path / f"img{i}.png"
        Image.new("RGB", (32, 64), c).save(path)
        paths.append(str(path))
    distmat = np.array([[0.1, 0.5, 0.2, 0.9], [0.3, 0.3, 0.1, 0.2]])
    assert rank_gallery(distmat, 3).tolist() == [[0, 2, 1], [2, 3, 0]]
    inputs = tmp_path / "ranked.npz"
    np.savez(
        inputs,
        query_paths=np.array(paths[:2]),
        gallery_paths=np.array(paths),
        query_pids=np.array([1, 2]),
        gallery_pids=np.array([1, 2, 1, 2]),
        distmat=distmat,
    )
    result = cli.invoke(app, ["plot", "ranked", "--input", str(inputs), "--topk", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_plots(tmp_path, "ranked")
