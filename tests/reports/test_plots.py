"""Every plot kind, drawn from records written by ``harness run`` (tests/reports/conftest.py), checked
for what a reviewer looks at: one colour and marker per method in every figure, not-reportable
series hollow/hatched with a dagger, human titles from the registries, legends off the data, no
overlapping text, PNG + SVG + PDF at column width with ordinary file permissions."""

from __future__ import annotations

import json
import os
import shutil
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mcolors
from PIL import Image

from harness.cli.app import app
from harness.errors import ConfigError
from harness.reports.measured import load_measured
from harness.reports.plots.bar import metric_bars, render_bars
from harness.reports.plots.cmc import cmc_curves, render_cmc
from harness.reports.plots.pareto import (
    measured_complexity,
    pareto_front,
    render_pareto,
    reported_complexity,
)
from harness.reports.plots.ranked import rank_gallery
from harness.reports.plots.style import (
    COLUMN_WIDTH,
    NONREPORTABLE,
    PALETTE,
    figure_title,
    identity_colours,
    legend_over_data,
    method_key,
    method_style,
    text_overlaps,
)
from harness.reports.plots.textmask import measured_textmask, render_textmask, reported_textmask
from harness.reports.plots.tsne import render_tsne, tsne

PLOT_MODE = 0o666 & ~(lambda u: (os.umask(u), u)[1])(os.umask(0))


def assert_files(folder: Path, name: str, *, max_width_in: float | None = COLUMN_WIDTH + 0.6) -> None:
    """PNG, SVG and PDF exist, decode, are not blank, have plain permissions, PNG at column width."""
    png, svg, pdf = (folder / f"{name}.{ext}" for ext in ("png", "svg", "pdf"))
    with Image.open(png) as img:
        img.load()
        assert np.unique(np.asarray(img.convert("L"))).size > 2  # not a blank canvas
        dpi = img.info.get("dpi", (300, 300))[0]
        if max_width_in is not None:
            assert img.width / dpi <= max_width_in, (img.width, dpi)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 20
    assert pdf.read_bytes().startswith(b"%PDF")
    for path in (png, svg, pdf):
        assert stat.S_IMODE(path.stat().st_mode) == PLOT_MODE, oct(path.stat().st_mode)


def line_styles(fig) -> dict[str, tuple[str, str, str]]:
    """``legend label -> (colour, marker, marker face colour)`` of every labelled line."""
    out = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            label = line.get_label()
            if not label.startswith("_"):
                face = mcolors.to_hex(line.get_markerfacecolor())
                out[label] = (mcolors.to_hex(line.get_color()), line.get_marker(), face)
    return out


def assert_clean_layout(fig) -> None:
    assert not legend_over_data(fig)
    assert text_overlaps(fig) == []


def test_method_style_is_one_per_method_everywhere():
    assert method_key("DTTA (measured)") == method_key("dtta[swin-b]") == method_key("dtta†") == "dtta"
    assert method_style("CLIP-ReID") == method_style("clip-reid") == method_style("Clip-ReID (measured)")
    from harness.resources import builtin_dir

    builtin = sorted(p.name for p in builtin_dir("methods").iterdir() if (p / "method.yaml").is_file())
    colours = [method_style(name).colour for name in builtin]
    assert len(set(colours)) == len(builtin)  # every built-in method its own colour
    assert all(c in PALETTE for c in colours)
    assert method_style("my-own-method") == method_style("My Own Method")  # hashed, deterministic
    styles = {(method_style(m).colour, method_style(m).marker) for m in [*builtin, "IRRA", "LuP-MLLM"]}
    assert len(styles) == len(builtin) + 1  # IRRA is the built-in irra


def test_identity_palette_never_repeats():
    for n in (8, 20, 33, 60, 61, 150):
        colours = identity_colours(n)
        assert len(colours) == n == len(set(colours))


def test_cmc_from_run_records(cli, run_records, tmp_path):
    measured = load_measured(run_records)
    curves = cmc_curves(measured, "p2", "M")
    assert [c.method for c in curves] == ["hsv-coarse", "hsv-hist"] and all(c.nonreportable for c in curves)
    title = f"CMC: {figure_title('p2', 'M')}"
    assert "Market-1501" in title and "p2 / M" not in title and "Leave-one-out" in title
    fig = render_cmc(curves, title=title)
    styles = line_styles(fig)
    for method in ("hsv-hist", "hsv-coarse"):
        colour, mark, face = styles[f"{method}{NONREPORTABLE}"]
        assert (colour, mark) == (method_style(method).colour, method_style(method).marker)
        assert face == "#ffffff"  # hollow: not reportable
    assert "not reportable" in fig.legends[0].get_title().get_text()
    assert fig.axes[0].get_title(loc="left") == title
    assert_clean_layout(fig)
    result = cli.invoke(
        app, ["plot", "cmc", "--results", str(run_records), "-p", "p2", "--leg", "M", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "cmc")
    missing = cli.invoke(app, ["plot", "cmc", "--results", str(run_records), "-p", "p2", "--leg", "nope"])
    assert missing.exit_code == 2 and "carries a CMC curve" in missing.output


def test_reportable_and_not_reportable_differ(run_records, tmp_path):
    """A record made reportable (fabricated copy beside the real ones) is drawn filled, undaggered."""
    res = tmp_path / "res"
    shutil.copytree(run_records, res)
    path = res / "hsv-coarse" / "p2" / "M.json"
    data = json.loads(path.read_text())
    data["provenance"]["synthetic_data"] = False
    path.write_text(json.dumps(data))
    fig = render_cmc(cmc_curves(load_measured(res), "p2", "M"))
    styles = line_styles(fig)
    assert styles["hsv-coarse"][2] == method_style("hsv-coarse").colour  # filled marker
    assert styles[f"hsv-hist{NONREPORTABLE}"][2] == "#ffffff"


def test_same_method_same_colour_across_figures(run_records):
    measured = load_measured(run_records)
    cmc = line_styles(render_cmc(cmc_curves(measured, "single", "market1501")))
    bars = render_bars(metric_bars(measured, "p2", "mAP"), protocol="p2", metric="mAP")
    bar_colours = {}
    for container in bars.axes[0].containers:
        label = container.get_label()
        bar_colours[label] = mcolors.to_hex(container.patches[0].get_edgecolor())
        assert container.patches[0].get_hatch()  # synthetic: hatched
    for method in ("hsv-hist", "hsv-coarse"):
        label = f"{method}{NONREPORTABLE}"
        assert cmc[label][0] == bar_colours[label] == method_style(method).colour


def test_bar_chart_from_run_records(cli, run_records, tmp_path):
    bars = metric_bars(load_measured(run_records), "p2", "mAP")
    assert {b.leg for b in bars} == {"C3", "MS", "M"} and len(bars) == 6
    fig = render_bars(bars, protocol="p2", metric="mAP", title="mAP: " + figure_title("p2"))
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[-1] == "Market-1501" and "MSMT17" in ticks  # the protocol's leg order, dataset titles
    assert_clean_layout(fig)
    result = cli.invoke(app, ["plot", "bar", "--results", str(run_records), "-p", "p2", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "bar-mAP")
    bad = cli.invoke(app, ["plot", "bar", "--results", str(run_records), "-p", "p2", "--metric", "nope"])
    assert bad.exit_code == 2 and "carries metric 'nope'" in bad.output


def test_textmask_reported_and_measured(cli, run_records, tmp_path):
    frame = reported_textmask()
    assert len(frame) == 60 and set(frame["method"]) == {"IRRA", "DGCMIA"}
    row = frame[(frame.method == "IRRA") & (frame.dataset == "cuhk-pedes") & (frame.ratio == 0.1)]
    assert row.set_index("metric").loc["R1", "value"] == pytest.approx(67.12)
    measured = measured_textmask(load_measured(run_records))
    assert sorted(measured["ratio"].unique()) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert measured["nonreportable"].all()
    fig = render_textmask(pd.concat([frame, measured], ignore_index=True))
    styles = line_styles(fig)
    assert styles["IRRA"][0] == method_style("irra").colour != styles["DGCMIA"][0]
    assert styles[f"attr-match (measured){NONREPORTABLE}"][2] == "#ffffff"
    titles = {ax.get_title() for ax in fig.axes}
    assert "CUHK-PEDES: R1" in titles and "RSTPReid: mAP" in titles
    assert_clean_layout(fig)
    csv = tmp_path / "mask.csv"
    pd.DataFrame(
        {"method": "x", "dataset": "rstpreid", "ratio": [0.1, 0.2], "metric": "R1", "value": [40, 30]}
    ).to_csv(csv, index=False)
    args = ["plot", "textmask", "--results", str(run_records), "--csv", str(csv), "-o", str(tmp_path)]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "textmask", max_width_in=8.0)  # three datasets: a page wide
    bad = tmp_path / "bad.csv"
    bad.write_text("method,value\nx,1\n")
    result = cli.invoke(app, ["plot", "textmask", "--no-reported", "--csv", str(bad), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "missing dataset, ratio, metric" in result.output


def test_pareto_front_labels_and_plot(cli, run_records, tmp_path):
    front = pareto_front(np.array([1, 2, 3, 2.5, np.nan]), np.array([50, 60, 70, 55, 99]))
    assert front.tolist() == [0, 1, 2]  # (2.5, 55) is beaten by (2, 60); NaN ignored
    reported = reported_complexity()
    lup = reported.set_index("method").loc["LuP-MLLM"]
    assert lup["gflops"] == pytest.approx(19.53) and lup["R1"] == pytest.approx(78.13)
    measured = measured_complexity(load_measured(run_records))
    assert list(measured["method"]) == ["attr-match"] and measured["nonreportable"].all()
    frame = pd.concat([reported, measured], ignore_index=True)
    fig = render_pareto(frame, cost="params_M")
    assert_clean_layout(fig)  # method labels never overlap each other or the legend
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"IRRA", "DGCMIA", f"attr-match (measured){NONREPORTABLE}"} <= labels
    result = cli.invoke(
        app, ["plot", "pareto", "--cost", "params_M", "--results", str(run_records), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "pareto-params_M")
    assert cli.invoke(app, ["plot", "pareto", "--cost", "watts", "-o", str(tmp_path)]).exit_code == 2


def test_tsne_titles_are_honest_and_colours_distinct(cli, tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 16)) * 4
    pids = np.repeat(np.arange(4), 8)
    images = centres[pids] + rng.normal(size=(32, 16))
    texts = centres[pids] + rng.normal(size=(32, 16))
    emb = tsne(np.concatenate([images, texts]), perplexity=8, iterations=200)
    both = np.concatenate([pids, pids])
    d = ((emb[:, None] - emb[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (both[d.argmin(1)] == both).mean() > 0.9  # neighbours share the identity
    np.testing.assert_allclose(emb, tsne(np.concatenate([images, texts]), perplexity=8, iterations=200))
    many = np.repeat(np.arange(24), 2)
    feats = rng.normal(size=(48, 8))
    fig = render_tsne(feats, many, None, None, iterations=60, source="hsv-hist, market1501")
    title = fig.axes[0].get_title(loc="left")
    assert title.startswith("t-SNE of image features") and "text" not in title and "24 identities" in title
    colours = {mcolors.to_hex(c) for c in fig.axes[0].collections[0].get_facecolors()}
    assert len(colours) == 24  # one colour per identity, none repeated
    fig = render_tsne(images, pids, texts, pids, iterations=60)
    assert "image and text features" in fig.axes[0].get_title(loc="left")
    features = tmp_path / "f.npz"
    np.savez(features, image_features=images, image_pids=pids)
    result = cli.invoke(
        app, ["plot", "tsne", "--features", str(features), "--iterations", "60", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "tsne")
    with pytest.raises(ConfigError):
        tsne(np.zeros((3, 2)))


def _ranked_npz(tmp_path: Path, name: str, distmat: np.ndarray, paths: list[str]) -> Path:
    inputs = tmp_path / f"{name}.npz"
    np.savez(
        inputs,
        query_paths=np.array(paths[:2]),
        gallery_paths=np.array(paths),
        query_pids=np.array([1, 2]),
        gallery_pids=np.array([1, 2, 1, 2]),
        distmat=distmat,
    )
    return inputs


def test_ranked_lists_one_and_two_methods(cli, tmp_path):
    paths = []
    for i, c in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]):
        path = tmp_path / f"img{i}.png"
        Image.new("RGB", (32, 64), c).save(path)
        paths.append(str(path))
    distmat = np.array([[0.1, 0.5, 0.2, 0.9], [0.3, 0.3, 0.1, 0.2]])
    assert rank_gallery(distmat, 3).tolist() == [[0, 2, 1], [2, 3, 0]]
    a = _ranked_npz(tmp_path, "a", distmat, paths)
    b = _ranked_npz(tmp_path, "b", distmat[:, ::-1].copy(), paths)
    result = cli.invoke(app, ["plot", "ranked", "--input", str(a), "--topk", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "ranked", max_width_in=None)
    args = ["plot", "ranked-pair", "--input", str(a), "--input", str(b), "--label", "DTTA", "--label", "irra"]
    result = cli.invoke(app, [*args, "--topk", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "ranked-pair", max_width_in=None)
    one = cli.invoke(app, ["plot", "ranked-pair", "--input", str(a), "-o", str(tmp_path)])
    assert one.exit_code == 2 and "needs two methods" in one.output


def test_ranked_pair_with_methods_on_the_synthetic_world(cli, tiny_world, tmp_path):
    """Both methods rank the same queries of the world's Market-1501 (junk rule applied)."""
    from harness.data.registry import get_reader
    from harness.methods.load import load_method
    from harness.reports.plots.ranked import rank_with_method, render_ranked_pair

    manifest = get_reader("market1501").read(tiny_world).manifest
    query, gallery = manifest.select("query"), manifest.select("gallery")
    method = load_method("hsv-hist", device="cpu")
    lists = rank_with_method(method, query, gallery, queries=[0, 3], topk=4)
    for row, qi in enumerate([0, 3]):
        for g in lists.order[row]:
            assert not (gallery.pids[g] == query.pids[qi] and gallery.camids[g] == query.camids[qi])
    fig = render_ranked_pair([lists, lists], topk=4)
    names = [t.get_text() for t in fig.texts]
    assert names == ["hsv-hist", "hsv-hist"]
    args = ["plot", "ranked-pair", "-m", "hsv-hist", "-m", "hsv-hist", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--topk", "3", "--queries", "2", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "ranked-pair", max_width_in=None)


@pytest.mark.parametrize(
    ("method", "family_technique"),
    [("transreid", "rollout"), ("dtta", "gradcam"), ("cmmt", "gradcam")],
    ids=["vit-rollout", "swin-gradcam", "cnn-gradcam"],
)
def test_heatmaps_per_family(tiny_world, method, family_technique):
    """ViT: attention rollout; Swin and CNN: Grad-CAM; maps on the input's patch grid, in [0, 1]."""
    from harness.methods.load import load_method
    from harness.reports.plots.heatmap import heatmaps, load_image, render_heatmaps, technique_for

    loaded = load_method(method, random_init=True, device="cpu")
    assert technique_for(loaded) == family_technique
    image = load_image(next((tiny_world / "market1501").rglob("query/*.jpg")))
    [heat] = heatmaps(loaded, [image])
    h, w = loaded.card.input_size
    assert heat.values.shape[0] / heat.values.shape[1] == pytest.approx(h / w, rel=0.35)
    assert heat.values.min() == 0.0 and heat.values.max() == 1.0
    fig = render_heatmaps([image], [[heat]])
    assert {"rollout": "attn. rollout", "gradcam": "Grad-CAM"}[family_technique] in fig.axes[1].get_title()
    if family_technique == "gradcam":
        with pytest.raises(ConfigError, match="no ViT attention blocks"):
            technique_for(loaded, "rollout")


def test_heatmap_command(cli, tiny_world, tmp_path):
    args = ["plot", "heatmap", "-m", "cmmt", "--random-init", "--data-root", str(tiny_world), "--count", "2"]
    result = cli.invoke(app, [*args, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_files(tmp_path, "heatmap", max_width_in=None)
    args = ["plot", "heatmap", "-m", "cmmt", "--image", "x.png", "--data-root", str(tiny_world)]
    both = cli.invoke(app, args)
    assert both.exit_code == 2 and "not both" in both.output


def test_layout_checks_catch_what_they_claim():
    from harness.reports.plots.style import column_figure

    fig, axes = column_figure()
    ax = axes[0][0]
    ax.plot([0, 1], [0, 1], label="a")
    ax.legend(loc="center")
    ax.annotate("first label", (0.5, 0.5))
    ax.annotate("second label", (0.52, 0.5))
    assert legend_over_data(fig)
    assert ("first label", "second label") in text_overlaps(fig)


def test_text_report_plot_has_ordinary_permissions(cli, run_records, tmp_path):
    """``harness text report --plot`` goes through the atomic writer (it used to leave 0600)."""
    plot = tmp_path / "curves.png"
    args = ["text", "report", "--results", str(run_records), "--allow-nonreportable", "--plot", str(plot)]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(plot.stat().st_mode) == PLOT_MODE
    with Image.open(plot) as img:
        assert img.format == "PNG"
