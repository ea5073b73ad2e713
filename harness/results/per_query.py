"""Per-query outcomes stored beside a result record: ``<leg>.queries.npz`` next to ``<leg>.json``.

One row per (trial, mask repeat, query). Columns (NumPy arrays in one compressed ``.npz``, read with
``allow_pickle=False``):

* ``trial``, ``repeat`` (int32): the split trial (0 for single-split legs) and text-mask repeat (0);
* ``query_path`` (str, relative to the dataset root in ``meta``), ``query_caption`` (int32: the
  caption's index within its image for text queries, -1 for image queries), ``pid``, ``camid``;
* ``first_rank`` (int32: 1-based rank of the first true match in the junk-filtered ranking, 0 when
  the query has no positive and is not counted), ``ap``, ``inp`` (float64, NaN when not counted);
* ``topk`` (int32 ``[rows, k]``, k = the leg's ``max_rank``): the ranked list, as row numbers of the
  gallery table ``gallery_path`` / ``gallery_pid`` / ``gallery_camid`` / ``gallery_row`` (the item's
  index in its trial's evaluated gallery), which holds exactly the gallery items some list
  references; -1 pads a list shorter than k;
* ``meta``: JSON (format version, dataset root, denominator, k, and per (trial, repeat) the query and
  gallery sizes).

Why ``.npz`` and not Parquet: every consumer (bootstrap, paired tests, plots) wants NumPy arrays;
the ranked lists are a fixed-width integer matrix (a list column in Parquet); NumPy reads it without
pyarrow and without pickle. At MSMT17 scale (11,659 queries, k = 10) the file is about 1 MB and is
written in well under a second (``benchmarks/RESULTS.md``).

The record references the file by name with its sha256 (``record.per_query``); :func:`read_per_query`
checks the hash. Records written before per-query outcomes existed have ``per_query: null`` and
still load; the readers here say so clearly.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.atomic import write_bytes_atomic
from harness.errors import ResultError

if TYPE_CHECKING:
    from harness.metrics.outcomes import QueryOutcomes
    from harness.results.schema import Intervals, ResultRecord

FORMAT_VERSION = 1
SUFFIX = ".queries.npz"
COLUMNS = (
    "trial",
    "repeat",
    "query_path",
    "query_caption",
    "pid",
    "camid",
    "first_rank",
    "ap",
    "inp",
    "topk",
    "gallery_path",
    "gallery_pid",
    "gallery_camid",
    "gallery_row",
    "meta",
)
_RANK = re.compile(r"^R\d+$")


@dataclass(frozen=True)
class QuerySet:
    """One evaluated query list against one gallery with its outcomes (one trial or mask repeat)."""

    query_paths: Sequence[str]
    query_pids: np.ndarray
    query_camids: np.ndarray
    gallery_paths: Sequence[str]
    gallery_pids: np.ndarray
    gallery_camids: np.ndarray
    outcomes: QueryOutcomes
    trial: int = 0
    repeat: int = 0
    query_caption: np.ndarray | None = None


CAPTION_NAME = " (caption "
"""How the pipeline names a caption query: ``<image path> (caption <j>)``."""


def score_query_sets(scores: Sequence[Any]) -> list[QuerySet]:
    """Query sets of a record from its trials' scores (``harness.pipeline.scoring.TrialScore``: the
    forward result with ``topk`` lists and the label-only ``query``/``gallery`` sides).

    Image queries: one set per trial (``trial`` = its index). Caption queries (no camera): one set
    per masking (``repeat`` = its index), each caption keyed by its image path and caption number.
    """
    sets = []
    for i, sc in enumerate(scores):
        q, g, res = sc.query, sc.gallery, sc.results["forward"]
        if q.camids is None:  # captions
            split = [name.rsplit(CAPTION_NAME, 1) for name in q.names]
            paths = [parts[0] for parts in split]
            caption = np.asarray([int(parts[1].rstrip(")")) if len(parts) == 2 else -1 for parts in split])
            camids = np.full(len(paths), -1)
            trial, repeat = 0, i
        else:
            paths, caption, camids, trial, repeat = list(q.names), None, np.asarray(q.camids), i, 0
        g_cam = np.asarray(g.camids) if g.camids is not None else np.full(len(g.pids), -1)
        sets.append(
            QuerySet(
                paths,
                np.asarray(q.pids),
                camids,
                list(g.names),
                np.asarray(g.pids),
                g_cam,
                res.outcomes(),
                trial=trial,
                repeat=repeat,
                query_caption=caption,
            )
        )
    return sets


def _relative(paths: Sequence[str], root: str) -> np.ndarray:
    prefix = root.rstrip(os.sep) + os.sep
    return np.asarray([p[len(prefix) :] if p.startswith(prefix) else p for p in paths], dtype=str)


@dataclass(frozen=True)
class RankedList:
    """One query and the first k gallery items of its junk-filtered ranking (absolute paths)."""

    query_path: str
    query_pid: int
    query_camid: int
    query_caption: int
    trial: int
    repeat: int
    first_rank: int
    ap: float
    gallery_paths: list[str] = field(default_factory=list)
    gallery_pids: list[int] = field(default_factory=list)
    gallery_camids: list[int] = field(default_factory=list)

    @property
    def correct(self) -> list[bool]:
        """Per ranked item: same identity as the query."""
        return [pid == self.query_pid for pid in self.gallery_pids]


@dataclass(frozen=True, eq=False)
class PerQuery:
    """The contents of a per-query file (see the module docstring for the columns)."""

    columns: dict[str, np.ndarray]
    meta: dict[str, Any]
    source: str = ""

    def __len__(self) -> int:
        return len(self.columns["first_rank"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @property
    def denominator(self) -> str:
        return str(self.meta.get("denominator", "valid"))

    @property
    def root(self) -> str:
        return str(self.meta.get("root", ""))

    def absolute(self, path: str) -> str:
        return path if os.path.isabs(path) or not self.root else os.path.join(self.root, path)

    @property
    def n_repeats(self) -> int:
        return int(self.columns["repeat"].max(initial=0)) + 1

    def keys(self) -> np.ndarray:
        """Per row, the query's identity (relative path, caption index, pid, camid) as one string."""
        c = self.columns
        return np.char.add(
            np.char.add(np.char.add(c["query_path"], "#"), c["query_caption"].astype(str)),
            np.char.add(np.char.add("|", c["pid"].astype(str)), np.char.add("|", c["camid"].astype(str))),
        )

    def collapsed(
        self, metric: str, *, keys: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """``(trial, key, value)`` per counted (trial, query): the metric's per-query value, averaged
        over mask repeats (``key`` is None when ``keys=False``). The mean over trials of each trial's
        mean value is the record's metric."""
        from harness.metrics.outcomes import query_values

        c = self.columns
        values = query_values(c["first_rank"], c["ap"], c["inp"], metric, denominator="all")
        counted = c["first_rank"] > 0 if self.denominator == "valid" else np.ones(len(self), dtype=bool)
        first = c["repeat"] == 0
        trial, key = c["trial"][first], (self.keys()[first] if keys else None)
        reps = self.n_repeats
        if reps > 1:
            stack = np.stack([values[c["repeat"] == r] for r in range(reps)])
            values, counted = stack.mean(0), counted[first]
        else:
            values = values[first]
            counted = counted[first]
        return trial[counted], (None if key is None else key[counted]), values[counted]

    def trial_groups(self, metrics: Sequence[str]) -> list[np.ndarray]:
        """Per trial, the ``[counted queries, len(metrics)]`` per-query values (repeats averaged)."""
        cols = [self.collapsed(m, keys=False) for m in metrics]
        trial = cols[0][0]
        matrix = np.stack([v for _, _, v in cols], axis=1)
        return [matrix[trial == t] for t in np.unique(trial)]

    def ranked_lists(
        self, *, trial: int = 0, repeat: int = 0, queries: Sequence[int] | None = None
    ) -> list[RankedList]:
        """Ranked lists of the queries (row numbers within the trial and repeat; default: all)."""
        c = self.columns
        rows = np.flatnonzero((c["trial"] == trial) & (c["repeat"] == repeat))
        if len(rows) == 0:
            raise ResultError(f"{self.source}: no queries for trial {trial}, repeat {repeat}")
        chosen = rows if queries is None else rows[np.asarray(list(queries), dtype=np.int64)]
        out = []
        for r in chosen:
            idx = [int(i) for i in c["topk"][r] if i >= 0]
            out.append(
                RankedList(
                    query_path=self.absolute(str(c["query_path"][r])),
                    query_pid=int(c["pid"][r]),
                    query_camid=int(c["camid"][r]),
                    query_caption=int(c["query_caption"][r]),
                    trial=int(c["trial"][r]),
                    repeat=int(c["repeat"][r]),
                    first_rank=int(c["first_rank"][r]),
                    ap=float(c["ap"][r]),
                    gallery_paths=[self.absolute(str(c["gallery_path"][i])) for i in idx],
                    gallery_pids=[int(c["gallery_pid"][i]) for i in idx],
                    gallery_camids=[int(c["gallery_camid"][i]) for i in idx],
                )
            )
        return out


def build_per_query(sets: Sequence[QuerySet], *, root: str, denominator: str, k: int) -> PerQuery:
    """Columns of the per-query file from evaluated query sets (each with ``topk`` outcomes)."""
    cols: dict[str, list[np.ndarray]] = {name: [] for name in COLUMNS if name != "meta"}
    parts_meta = []
    offset = 0
    for qs in sets:
        out = qs.outcomes
        n = len(out.first_rank)
        topk = out.topk if out.topk is not None else np.full((n, k), -1, dtype=np.int32)
        if topk.shape[1] < k:
            topk = np.pad(topk, ((0, 0), (0, k - topk.shape[1])), constant_values=-1)
        used = np.unique(topk[topk >= 0])
        mapped = np.where(topk >= 0, np.searchsorted(used, topk) + offset, -1).astype(np.int32)
        offset += len(used)
        cols["trial"].append(np.full(n, qs.trial, dtype=np.int32))
        cols["repeat"].append(np.full(n, qs.repeat, dtype=np.int32))
        cols["query_path"].append(_relative(qs.query_paths, root))
        cap = qs.query_caption if qs.query_caption is not None else np.full(n, -1)
        cols["query_caption"].append(np.asarray(cap, dtype=np.int32))
        cols["pid"].append(np.asarray(qs.query_pids, dtype=np.int64))
        cols["camid"].append(np.asarray(qs.query_camids, dtype=np.int64))
        cols["first_rank"].append(np.asarray(out.first_rank, dtype=np.int32))
        cols["ap"].append(np.asarray(out.ap, dtype=np.float64))
        cols["inp"].append(np.asarray(out.inp, dtype=np.float64))
        cols["topk"].append(mapped)
        cols["gallery_path"].append(_relative([qs.gallery_paths[i] for i in used.tolist()], root))
        cols["gallery_pid"].append(np.asarray(qs.gallery_pids, dtype=np.int64)[used])
        cols["gallery_camid"].append(np.asarray(qs.gallery_camids, dtype=np.int64)[used])
        cols["gallery_row"].append(used.astype(np.int32))
        parts_meta.append(
            {"trial": qs.trial, "repeat": qs.repeat, "n_query": n, "n_gallery": len(qs.gallery_pids)}
        )
    columns = {
        name: (np.concatenate(v) if v else np.zeros(0))
        if name != "topk"
        else np.concatenate(v).reshape(-1, k)
        for name, v in cols.items()
    }
    for name in ("query_path", "gallery_path"):
        columns[name] = columns[name].astype(str)
    meta = {
        "format_version": FORMAT_VERSION,
        "root": root,
        "denominator": denominator,
        "k": k,
        "parts": parts_meta,
    }
    return PerQuery(columns, meta)


_STRINGS = ("query_path", "gallery_path")


def encode_per_query(pq: PerQuery) -> bytes:
    """The ``.npz`` bytes of ``pq``: deflate level 1, path columns as UTF-8 bytes."""
    arrays = {"meta": np.frombuffer(json.dumps(pq.meta).encode(), dtype=np.uint8), **pq.columns}
    for name in _STRINGS:
        arrays[name] = np.asarray(
            [p.encode("utf-8", "surrogateescape") for p in pq.columns[name].tolist()], dtype=bytes
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, arr in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def per_query_path(record_path: Path) -> Path:
    """``<leg>.queries.npz`` beside ``<leg>.json``."""
    record_path = Path(record_path)
    return record_path.with_name(record_path.stem + SUFFIX)


def write_per_query(path: Path, pq: PerQuery) -> str:
    """Write ``pq`` to ``path`` atomically; return the sha256 of the bytes written."""
    data = encode_per_query(pq)
    write_bytes_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def load_per_query_file(path: Path, sha256: str | None = None) -> PerQuery:
    """Read a per-query file (checking its sha256 when given); problems raise ``ResultError``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultError(f"{path}: cannot read the per-query file ({exc.strerror or exc})") from exc
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ResultError(f"{path}: sha256 differs from the one its record names (file changed or replaced)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError) as exc:
        raise ResultError(f"{path}: not a readable .npz per-query file ({exc})") from exc
    missing = [c for c in COLUMNS if c not in arrays]
    if missing:
        raise ResultError(f"{path}: per-query file lacks column(s) {', '.join(missing)}")
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        for name in _STRINGS:
            arrays[name] = np.asarray(
                [b.decode("utf-8", "surrogateescape") for b in arrays[name].tolist()], dtype=str
            )
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise ResultError(f"{path}: per-query file has an unreadable meta or path column ({exc})") from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise ResultError(
            f"{path}: per-query format_version {meta.get('format_version')!r} is not supported "
            f"(expected {FORMAT_VERSION})"
        )
    n = len(arrays["first_rank"])
    short = [c for c in COLUMNS[:9] if len(arrays[c]) != n] + (
        ["topk"] if arrays["topk"].shape[0] != n else []
    )
    if short:
        raise ResultError(f"{path}: per-query columns {', '.join(short)} do not have {n} rows")
    return PerQuery(arrays, meta, source=str(path))


def read_per_query(record: ResultRecord | Path | str, record_path: Path | str | None = None) -> PerQuery:
    """The per-query outcomes of a record (a record file path, or a record and its path).

    Raises ``ResultError`` naming the record when it has no per-query file (records written before
    per-query outcomes existed) or when the file is missing or changed.
    """
    from harness.results.io import read_record

    if not hasattr(record, "per_query"):
        record_path = Path(record)  # type: ignore[arg-type]
        record = read_record(record_path)
    where = str(record_path) if record_path is not None else f"{record.method.name}/{record.protocol.leg}"
    ref = record.per_query  # type: ignore[union-attr]
    if ref is None:
        raise ResultError(
            f"{where}: the record has no per-query outcomes (written before they were stored); "
            "run `harness run` again to add them"
        )
    if record_path is None:
        raise ResultError(f"{where}: the record's path is needed to find its per-query file")
    return load_per_query_file(Path(record_path).with_name(ref.file), ref.sha256)


def ranked_lists(
    record_path: Path | str, *, trial: int = 0, repeat: int = 0, queries: Sequence[int] | None = None
) -> list[RankedList]:
    """The stored ranked lists of a record file (queries: row numbers within the trial/repeat)."""
    return read_per_query(record_path).ranked_lists(trial=trial, repeat=repeat, queries=queries)


def interval_metrics(metrics: Sequence[str]) -> list[str]:
    """The metrics with per-query values (R-k, mAP, mINP) among ``metrics``, in order."""
    return [m for m in metrics if _RANK.match(m) or m in ("mAP", "mINP")]


def compute_intervals(
    pq: PerQuery, metrics: Sequence[str], *, n_resamples: int | None = None, seed: int | None = None
) -> Intervals:
    """Bootstrap intervals of ``metrics`` (queries; trials then queries for several trials)."""
    from harness.results.schema import Intervals, MetricInterval
    from harness.stats.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_interval

    n_resamples = DEFAULT_RESAMPLES if n_resamples is None else n_resamples
    seed = DEFAULT_SEED if seed is None else seed
    names = interval_metrics(metrics)
    groups = pq.trial_groups(names) if names else []
    found = bootstrap_interval(groups, n_resamples=n_resamples, seed=seed) if names else []
    return Intervals(
        level=DEFAULT_LEVEL,
        method="percentile",
        scheme="trials+queries" if len(groups) > 1 else "queries",
        n_resamples=n_resamples,
        seed=seed,
        metrics={m: MetricInterval(low=iv.low, high=iv.high) for m, iv in zip(names, found, strict=True)},
    )


def cmc_band(
    pq: PerQuery, max_rank: int, *, level: float = 0.95, seed: int = 0
) -> tuple[list[float], list[float]]:
    """Pointwise bootstrap interval of the CMC curve at ranks 1..``max_rank`` (same scheme as the
    record's intervals: queries, or trials then queries)."""
    from harness.stats.bootstrap import DEFAULT_RESAMPLES, percentile_interval, resample_statistic

    groups = pq.trial_groups([f"R{r}" for r in range(1, max_rank + 1)])
    low, high = percentile_interval(resample_statistic(groups, DEFAULT_RESAMPLES, seed), level)
    return [float(x) for x in low], [float(x) for x in high]


def attach_per_query(
    out_dir: Path, record: ResultRecord, sets: Sequence[QuerySet], root: str
) -> ResultRecord:
    """Write the record's per-query file beside where the record goes and return the record with its
    ``per_query`` reference (sha256) and bootstrap ``intervals`` (the leg runners' one call)."""
    from harness.results.io import result_path
    from harness.results.schema import PerQueryRef

    k = int(record.protocol.evaluation.max_rank)
    pq = build_per_query(
        sets, root=str(root), denominator=str(record.conventions.get("denominator", "valid")), k=k
    )
    path = per_query_path(result_path(out_dir, record))
    sha = write_per_query(path, pq)
    ref = PerQueryRef(file=path.name, sha256=sha, n_rows=len(pq), topk=k)
    return record.model_copy(
        update={"per_query": ref, "intervals": compute_intervals(pq, list(record.metrics))}
    )
