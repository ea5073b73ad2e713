"""``harness plot KIND``: CMC curves, metric bars, text-mask robustness, accuracy-vs-cost Pareto,
t-SNE, ranked lists (one method or two side by side), attention / Grad-CAM heatmaps.

Each writes ``<out>/<name>.png``, ``.svg`` and ``.pdf`` (``--out`` defaults to ``reports/``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import err, handle_errors

app = typer.Typer(help="Plots in the papers' style (PNG and SVG).", no_args_is_help=True)

OUT = typer.Option(Path("reports"), "--out", "-o", help="Folder the PNG, SVG and PDF are written to.")
DPI = typer.Option(300, "--dpi", min=50, max=1200, help="PNG resolution (SVG and PDF are vector).")


def _dpi(value: object) -> int | None:
    """``--dpi`` as given, or None (the style's default) when a command is called as a Python
    function without it (its default is then typer's option object, as in ``harness text report``)."""
    return value if isinstance(value, int) else None


def _done(paths: list[Path]) -> None:
    for path in paths:
        err.print(f"wrote {path}", highlight=False)


def _npz(path: Path, required: tuple[str, ...]) -> dict:
    import numpy as np

    from harness.errors import DataError

    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read .npz arrays ({exc})") from exc
    missing = [k for k in required if k not in arrays]
    if missing:
        raise DataError(f"{path}: missing array(s) {', '.join(missing)} (has {', '.join(arrays) or 'none'})")
    return arrays


def _csv(path: Path):
    import pandas as pd

    from harness.errors import DataError

    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from exc


@app.command("cmc")
@handle_errors
def cmc(
    results: Path = typer.Option(..., "--results", help="Results folder."),
    protocol: str = typer.Option(..., "--protocol", "-p", help="Protocol name of the records."),
    leg: str = typer.Option(..., "--leg", help="Leg name of the records."),
    max_rank: int = typer.Option(20, "--max-rank", min=1, help="Last rank drawn."),
    bands: bool = typer.Option(
        False, "--bands", help="Shade each curve's 95% bootstrap band (from the records' per-query files)."
    ),
    out: Path = OUT,
    name: str = typer.Option("cmc", "--name", help="File name without extension."),
    dpi: int = DPI,
) -> None:
    """CMC curves of every method with a record for PROTOCOL/LEG (not-reportable ones marked †)."""
    from harness.reports.measured import load_measured
    from harness.reports.plots.cmc import cmc_curves, plot_cmc
    from harness.reports.plots.style import figure_title

    measured = load_measured(results)
    curves = cmc_curves(measured, protocol, leg)
    band = _cmc_bands(measured, protocol, leg, max_rank) if bands else None
    title = f"CMC: {figure_title(protocol, leg)}"
    _done(plot_cmc(curves, out / name, title=title, max_rank=max_rank, bands=band, dpi=_dpi(dpi)))


def _cmc_bands(measured, protocol: str, leg: str, max_rank: int) -> dict:
    """``method -> (low, high)`` in percent for the records of PROTOCOL/LEG (each needs a per-query file)."""
    from harness.results.per_query import cmc_band, read_per_query

    bands = {}
    for m in measured:
        if m.protocol == protocol and m.leg == leg and m.cmc:
            pq = read_per_query(Path(m.path))
            low, high = cmc_band(pq, min(max_rank, len(m.cmc)))
            bands[m.method] = ([100 * x for x in low], [100 * x for x in high])
    return bands


@app.command("bar")
@handle_errors
def bar(
    results: Path = typer.Option(..., "--results", help="Results folder."),
    protocol: str = typer.Option(..., "--protocol", "-p", help="Protocol name of the records."),
    metric: str = typer.Option("mAP", "--metric", help="Metric drawn (R1, mAP, ...)."),
    out: Path = OUT,
    name: str = typer.Option(None, "--name", help="File name without extension (default bar-METRIC)."),
    dpi: int = DPI,
) -> None:
    """One metric across the legs of PROTOCOL, a bar per method and setting (ReText Figure 1)."""
    from harness.reports.measured import load_measured
    from harness.reports.plots.bar import metric_bars, plot_bars
    from harness.reports.plots.style import figure_title, metric_decimals

    bars = metric_bars(load_measured(results), protocol, metric)
    paths = plot_bars(
        bars,
        out / (name or f"bar-{metric}"),
        protocol=protocol,
        metric=metric,
        title=f"{metric}: {figure_title(protocol)}",
        decimals=metric_decimals(metric),
        dpi=_dpi(dpi),
    )
    _done(paths)


@app.command("textmask")
@handle_errors
def textmask(
    results: Path = typer.Option(None, "--results", help="Results folder with textmask records."),
    csv: Path = typer.Option(None, "--csv", help="CSV with columns method,dataset,ratio,metric,value."),
    reported: bool = typer.Option(True, "--reported/--no-reported", help="Include DGCMIA Table 2."),
    out: Path = OUT,
    name: str = typer.Option("textmask", "--name", help="File name without extension."),
    dpi: int = DPI,
) -> None:
    """R1 and mAP against the query-text mask ratio, per method and dataset."""
    import pandas as pd

    from harness.reports.measured import load_measured
    from harness.reports.plots.textmask import measured_textmask, plot_textmask, reported_textmask

    frames = [reported_textmask()] if reported else []
    if results:
        frames.append(measured_textmask(load_measured(results)))
    if csv:
        frames.append(_csv(csv))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    _done(plot_textmask(frame, out / name, dpi=_dpi(dpi)))


@app.command("pareto")
@handle_errors
def pareto(
    cost: str = typer.Option("gflops", "--cost", help="gflops, params_M or inference_time."),
    accuracy: str = typer.Option("R1", "--accuracy", help="R1 or mAP."),
    results: Path = typer.Option(None, "--results", help="Results folder with profiled records."),
    csv: Path = typer.Option(None, "--csv", help="CSV with method, the cost column and the accuracy column."),
    reported: bool = typer.Option(True, "--reported/--no-reported", help="Include DGCMIA Table 3."),
    out: Path = OUT,
    name: str = typer.Option(None, "--name", help="File name without extension (default pareto-COST)."),
    dpi: int = DPI,
) -> None:
    """Accuracy against cost with the Pareto front."""
    import pandas as pd

    from harness.reports.measured import load_measured
    from harness.reports.plots.pareto import measured_complexity, plot_pareto, reported_complexity

    frames = [reported_complexity()] if reported else []
    if results:
        frames.append(measured_complexity(load_measured(results)))
    if csv:
        frames.append(_csv(csv))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["method"])
    _done(plot_pareto(frame, out / (name or f"pareto-{cost}"), cost=cost, accuracy=accuracy, dpi=_dpi(dpi)))


@app.command("tsne")
@handle_errors
def tsne(
    features: Path = typer.Option(
        None,
        "--features",
        help=".npz with image_features, image_pids and optionally text_features, text_pids.",
    ),
    record: Path = typer.Option(
        None, "--record", help="A result record (.json): read its embeddings from the cache through its keys."
    ),
    cache_dir: Path = typer.Option(
        None, "--cache-dir", help="With --record: the embedding cache the run used (default: $HARNESS_CACHE)."
    ),
    perplexity: float = typer.Option(30.0, "--perplexity", min=1.0),
    iterations: int = typer.Option(500, "--iterations", min=50),
    seed: int = typer.Option(0, "--seed"),
    source: str = typer.Option(
        "", "--source", help="What the features are, for the title (e.g. 'dtta, market1501')."
    ),
    out: Path = OUT,
    name: str = typer.Option("tsne", "--name", help="File name without extension."),
    dpi: int = DPI,
) -> None:
    """t-SNE of image (and text) features, one distinct colour per identity."""
    from harness.errors import ConfigError
    from harness.reports.plots.tsne import plot_tsne

    if (features is None) == (record is None):
        raise ConfigError("give exactly one of --features (.npz) or --record (a result record)")
    if record is not None:
        from harness.results.embeddings import record_embeddings

        emb = record_embeddings(record, cache_dir)
        arrays = {
            "image_features": emb.image_features,
            "image_pids": emb.image_pids,
            "text_features": emb.text_features,
            "text_pids": emb.text_pids,
        }
    else:
        arrays = _npz(features, ("image_features", "image_pids"))
    paths = plot_tsne(
        arrays["image_features"],
        arrays["image_pids"],
        arrays.get("text_features"),
        arrays.get("text_pids"),
        out / name,
        perplexity=perplexity,
        iterations=iterations,
        seed=seed,
        source=source,
        dpi=_dpi(dpi),
    )
    _done(paths)


@app.command("ranked")
@handle_errors
def ranked(
    inputs: Path = typer.Option(
        None,
        "--input",
        help=".npz with query_paths, gallery_paths, query_pids, gallery_pids and distmat or ranked.",
    ),
    record: Path = typer.Option(
        None, "--record", help="A result record (.json): draw its stored ranked lists instead of --input."
    ),
    trial: int = typer.Option(0, "--trial", min=0, help="With --record: which trial's lists."),
    repeat: int = typer.Option(0, "--repeat", min=0, help="With --record: which text-mask repeat's lists."),
    topk: int = typer.Option(5, "--topk", min=1),
    queries: int = typer.Option(4, "--queries", min=1, help="How many queries (the first N)."),
    out: Path = OUT,
    name: str = typer.Option("ranked", "--name", help="File name without extension."),
    dpi: int = DPI,
) -> None:
    """Ranked lists: each query and its top-k gallery images, green if correct, red if wrong."""
    from harness.errors import ConfigError
    from harness.reports.plots.ranked import plot_ranked_lists

    if (inputs is None) == (record is None):
        raise ConfigError("give exactly one of --input (.npz) or --record (a result record)")
    if record is not None:
        _done(_ranked_from_record(record, trial, repeat, topk, queries, out / name))
        return
    arrays = _npz(inputs, ("query_paths", "gallery_paths", "query_pids", "gallery_pids"))
    paths = plot_ranked_lists(
        [str(p) for p in arrays["query_paths"]],
        [str(p) for p in arrays["gallery_paths"]],
        arrays["query_pids"].tolist(),
        arrays["gallery_pids"].tolist(),
        out / name,
        distmat=arrays.get("distmat"),
        ranked=arrays.get("ranked"),
        topk=topk,
        queries=range(min(queries, len(arrays["query_paths"]))),
        dpi=_dpi(dpi),
    )
    _done(paths)


def _ranked_from_record(
    record: Path, trial: int, repeat: int, topk: int, queries: int, out: Path
) -> list[Path]:
    """The first ``queries`` stored ranked lists of ``record`` (harness.results.per_query), drawn."""
    import numpy as np

    from harness.errors import ResultError
    from harness.reports.plots.ranked import plot_ranked_lists
    from harness.results.per_query import read_per_query

    lists = read_per_query(record).ranked_lists(trial=trial, repeat=repeat)[:queries]
    k = min(topk, *(len(rl.gallery_paths) for rl in lists))
    if k == 0:
        raise ResultError(f"{record}: the chosen queries have empty ranked lists")
    gallery = [
        (p, pid) for rl in lists for p, pid in zip(rl.gallery_paths[:k], rl.gallery_pids[:k], strict=True)
    ]
    return plot_ranked_lists(
        [rl.query_path for rl in lists],
        [p for p, _ in gallery],
        [rl.query_pid for rl in lists],
        [pid for _, pid in gallery],
        out,
        ranked=np.arange(len(gallery)).reshape(len(lists), k),
        topk=k,
        queries=range(len(lists)),
    )


def _open_methods(names: list[str], weights: list[str], random_init: bool, device: str):
    """Load each method once (``--weights NAME=PATH`` per method; ``--random-init`` for the rest)."""
    from harness.errors import ConfigError
    from harness.methods.load import load_method

    by_name: dict[str, str] = {}
    for item in weights:
        method, sep, path = item.partition("=")
        if not sep or not method or not path:
            raise ConfigError(f"--weights {item!r}: expected METHOD=PATH")
        by_name[method] = path
    unknown = sorted(set(by_name) - set(names))
    if unknown:
        raise ConfigError(f"--weights names {', '.join(unknown)}, which is not among the -m methods")
    return [load_method(n, by_name.get(n), random_init=random_init, device=device) for n in names]


def _split(data_root: Path, dataset: str, split: str):
    from harness.data.registry import get_reader
    from harness.errors import ConfigError

    manifest = get_reader(dataset).read(data_root).manifest
    part = manifest.select(split)
    if not len(part.paths):
        raise ConfigError(f"dataset {dataset!r} under {data_root} has no images in split {split!r}")
    return part


@app.command("heatmap")
@handle_errors
def heatmap(
    methods: list[str] = typer.Option(..., "--method", "-m", help="Method (repeatable: one column each)."),
    images: list[Path] = typer.Option(None, "--image", help="Person image (repeatable)."),
    data_root: Path = typer.Option(None, "--data-root", help="Take images from this data folder instead."),
    dataset: str = typer.Option("market1501", "--dataset", help="Dataset of --data-root."),
    split: str = typer.Option("query", "--split", help="Split the images are taken from."),
    count: int = typer.Option(4, "--count", min=1, max=32, help="How many images of --data-root (spread)."),
    technique: str = typer.Option("auto", "--technique", help="auto, rollout or gradcam."),
    weights: list[str] = typer.Option(None, "--weights", help="METHOD=PATH checkpoint (repeatable)."),
    random_init: bool = typer.Option(False, "--random-init", help="Random weights (smoke figure)."),
    device: str = typer.Option("cpu", "--device"),
    out: Path = OUT,
    name: str = typer.Option("heatmap", "--name", help="File name without extension."),
    dpi: int = DPI,
) -> None:
    """Heatmaps over person images: attention rollout for ViTs, Grad-CAM for CNN and Swin."""
    from harness.errors import ConfigError
    from harness.reports.plots.heatmap import heatmaps, load_image, plot_heatmaps

    if bool(images) == (data_root is not None):
        raise ConfigError("give --image PATH (repeatable) or --data-root DIR, not both and not neither")
    if data_root is not None:
        part = _split(data_root, dataset, split)
        step = max(1, len(part.paths) // count)
        paths = [part.paths[i] for i in range(0, len(part.paths), step)][:count]
    else:
        paths = [str(p) for p in images]
    pictures = [load_image(p) for p in paths]
    loaded = _open_methods(methods, weights or [], random_init, device)
    _done(
        plot_heatmaps(pictures, [heatmaps(m, pictures, technique) for m in loaded], out / name, dpi=_dpi(dpi))
    )


@app.command("ranked-pair")
@handle_errors
def ranked_pair(
    inputs: list[Path] = typer.Option(
        None, "--input", help="Ranked lists .npz per method (as for `plot ranked`; repeatable, same queries)."
    ),
    labels: list[str] = typer.Option(None, "--label", help="Name of each --input (repeatable)."),
    methods: list[str] = typer.Option(None, "--method", "-m", help="Rank with these methods instead."),
    data_root: Path = typer.Option(None, "--data-root", help="Data folder for --method."),
    dataset: str = typer.Option("market1501", "--dataset", help="Dataset ranked with --method."),
    distance: str = typer.Option("euclidean", "--distance", help="euclidean, cosine or sqeuclidean."),
    weights: list[str] = typer.Option(None, "--weights", help="METHOD=PATH checkpoint (repeatable)."),
    random_init: bool = typer.Option(False, "--random-init", help="Random weights (smoke figure)."),
    device: str = typer.Option("cpu", "--device"),
    topk: int = typer.Option(5, "--topk", min=1, max=20),
    queries: int = typer.Option(
        3, "--queries", min=1, max=16, help="How many queries (spread over the set)."
    ),
    out: Path = OUT,
    name: str = typer.Option("ranked-pair", "--name", help="File name without extension."),
    dpi: int = DPI,
) -> None:
    """Two (or more) methods' ranked lists side by side for the same queries (DTTA Fig. 5)."""
    from harness.errors import ConfigError
    from harness.reports.plots.ranked import load_ranked_npz, plot_ranked_pair, rank_with_method

    if bool(inputs) == bool(methods):
        raise ConfigError("give --input A.npz --input B.npz, or --method A --method B with --data-root")
    if inputs:
        names = list(labels or [p.stem for p in inputs])
        if len(names) != len(inputs):
            raise ConfigError(f"{len(inputs)} --input but {len(names)} --label: give one label per input")
        lists = [
            load_ranked_npz(
                p, _npz(p, ("query_paths", "gallery_paths", "query_pids", "gallery_pids")), n, topk
            )
            for p, n in zip(inputs, names, strict=True)
        ]
        n_queries = len(lists[0].query_paths)
        chosen = list(range(0, n_queries, max(1, n_queries // queries)))[:queries]
    else:
        if data_root is None:
            raise ConfigError("--method needs --data-root (the folder holding the dataset)")
        query, gallery = _split(data_root, dataset, "query"), _split(data_root, dataset, "gallery")
        picks = list(range(0, len(query.paths), max(1, len(query.paths) // queries)))[:queries]
        lists = [
            rank_with_method(m, query, gallery, queries=picks, topk=topk, distance=distance)
            for m in _open_methods(methods, weights or [], random_init, device)
        ]
        chosen = list(range(len(picks)))
    _done(plot_ranked_pair(lists, out / name, queries=chosen, topk=topk, dpi=_dpi(dpi)))
