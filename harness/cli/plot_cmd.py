"""``harness plot KIND``: CMC curves, text-mask robustness, accuracy-vs-cost Pareto, t-SNE, ranked lists.

Each writes ``<out>/<name>.png`` and ``.svg`` (``--out`` defaults to ``reports/``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.console import err, handle_errors

app = typer.Typer(help="Plots in the papers' style (PNG and SVG).", no_args_is_help=True)

OUT = typer.Option(Path("reports"), "--out", "-o", help="Folder the PNG and SVG are written to.")


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
) -> None:
    """CMC curves of every method with a record for PROTOCOL/LEG."""
    from harness.reports.measured import load_measured
    from harness.reports.plots.cmc import cmc_curves, plot_cmc

    measured = load_measured(results)
    curves = cmc_curves(measured, protocol, leg)
    band = _cmc_bands(measured, protocol, leg, max_rank) if bands else None
    _done(plot_cmc(curves, out / name, title=f"CMC: {protocol} / {leg}", max_rank=max_rank, bands=band))


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


@app.command("textmask")
@handle_errors
def textmask(
    results: Path = typer.Option(None, "--results", help="Results folder with textmask records."),
    csv: Path = typer.Option(None, "--csv", help="CSV with columns method,dataset,ratio,metric,value."),
    reported: bool = typer.Option(True, "--reported/--no-reported", help="Include DGCMIA Table 2."),
    out: Path = OUT,
    name: str = typer.Option("textmask", "--name", help="File name without extension."),
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
    _done(plot_textmask(frame, out / name))


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
    _done(plot_pareto(frame, out / (name or f"pareto-{cost}"), cost=cost, accuracy=accuracy))


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
    out: Path = OUT,
    name: str = typer.Option("tsne", "--name", help="File name without extension."),
) -> None:
    """t-SNE of image (and text) features, coloured by identity."""
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
