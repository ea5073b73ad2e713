"""Paired comparison of two methods' records, leg by leg, on their per-query outcomes.

Two records pair when they are the same protocol (name and version) and leg, and their per-query
files hold the same (trial, query) rows: same relative image path, caption, pid and camid, in any
order, and the same queries counted. Anything else is refused with a ``ResultError`` that says why.
Statistics: :func:`harness.stats.paired_compare` per leg, Holm's correction across the legs
compared (``docs/statistics.md``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness.errors import RegistryError, ResultError
from harness.results.per_query import interval_metrics, read_per_query
from harness.results.schema import ResultRecord
from harness.stats.paired import PairedResult

ROW_KEYS = (
    "protocol",
    "leg",
    "metric",
    "a",
    "b",
    "delta",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_pairs",
)


@dataclass(frozen=True, kw_only=True)
class ComparisonRow(PairedResult):
    """One leg's paired comparison (the :class:`PairedResult` of the leg, values are fractions as in
    records) with where it comes from and its Holm-adjusted p-value."""

    protocol: str
    leg: str
    metric: str
    p_adjusted: float

    def to_json(self) -> dict:
        """The ``--json`` row: the documented keys, then the test's name and the interval level."""
        data = asdict(self)
        return {**{k: data[k] for k in ROW_KEYS}, "test": self.test, "level": self.level}


def method_label(record: ResultRecord) -> str:
    """``name`` or ``name@variant``: how ``harness compare`` names a method."""
    return record.method.name + (f"@{record.method.variant}" if record.method.variant else "")


def cell_leg(record: ResultRecord) -> str:
    """The leg as ``harness compare`` pairs it: the leg plus the slug of the settings both methods must
    share (re-ranking, AQE, flip, text mask). What belongs to one method (its weights, precision and
    own scoring convention) is left out, so a random-init network pairs with a weights-free method and
    a method scored its own way pairs with one scored the protocol's way."""
    from harness.results.identity import evaluation_parts

    shared = record.settings.model_copy(update={"convention": None, "method_dtype": None})
    return "+".join([record.protocol.leg, *evaluation_parts(shared, record.protocol.evaluation)])


def find_records(results_dir: Path, method: str) -> dict[tuple[str, str], tuple[ResultRecord, Path]]:
    """The records of ``method`` (``name`` or ``name@variant``) keyed by (protocol, :func:`cell_leg`)."""
    from harness.methods.registry import get_card
    from harness.results.io import read_records

    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ResultError(f"{results_dir}: no such results folder")
    name, _, variant = method.partition("@")
    with contextlib.suppress(RegistryError):  # an unregistered method may still have records
        name = get_card(name).name  # aliases resolve to the registered name
    wanted = f"{name}@{variant}" if variant else name
    found: dict[tuple[str, str], tuple[ResultRecord, Path]] = {}
    for f in read_records(results_dir):
        if method_label(f.record) != wanted:
            continue
        cell = (f.record.protocol.name, cell_leg(f.record))
        if cell in found:
            raise ResultError(
                f"{found[cell][1]} and {f.path}: two records of {wanted} for {cell[0]}/{cell[1]} "
                "(e.g. another checkpoint); keep one of them in the folder to compare"
            )
        found[cell] = (f.record, f.path)
    if not found:
        raise ResultError(f"{results_dir}: no result record of method {wanted!r}")
    return found


def _aligned(pq_a, pq_b, metric: str, where: str):
    ta, ka, va = pq_a.collapsed(metric)
    tb, kb, vb = pq_b.collapsed(metric)
    keys_a = np.char.add(np.char.add(ta.astype(str), "/"), ka)
    keys_b = np.char.add(np.char.add(tb.astype(str), "/"), kb)
    if len(np.unique(keys_a)) != len(keys_a) or len(np.unique(keys_b)) != len(keys_b):
        raise ResultError(f"{where}: a query occurs twice in one trial; cannot pair queries")
    sa, sb = np.argsort(keys_a), np.argsort(keys_b)
    if len(keys_a) != len(keys_b) or not np.array_equal(keys_a[sa], keys_b[sb]):
        only_a = np.setdiff1d(keys_a, keys_b)
        only_b = np.setdiff1d(keys_b, keys_a)
        example = (only_a[:1].tolist() or only_b[:1].tolist() or ["?"])[0]
        raise ResultError(
            f"{where}: the two records' queries do not pair ({len(only_a)} counted (trial, query) rows only "
            f"in A, {len(only_b)} only in B, e.g. {example!r}); both must be run on the same data and splits"
        )
    return ta[sa], ka[sa], va[sa], vb[sb]


def compare_pair(
    rec_a: tuple[ResultRecord, Path],
    rec_b: tuple[ResultRecord, Path],
    metric: str,
    *,
    n_resamples: int,
    n_permutations: int,
    seed: int,
) -> ComparisonRow:
    """The paired comparison of two records of one protocol leg (``p_adjusted`` = ``p_value``)."""
    from harness.stats.paired import paired_compare

    (a, path_a), (b, path_b) = rec_a, rec_b
    where = f"{a.protocol.name}/{a.protocol.leg}"
    if a.protocol.version != b.protocol.version:
        raise ResultError(
            f"{where}: protocol versions differ ({path_a}: v{a.protocol.version}, {path_b}: "
            f"v{b.protocol.version}); re-run the older one"
        )
    lacking = [str(p) for r, p in ((a, path_a), (b, path_b)) if r.per_query is None]
    if lacking:
        raise ResultError(
            f"{where}: {' and '.join(lacking)} lack(s) per-query outcomes (written before they were stored), "
            "so no paired test is possible; run `harness run` again for that method"
        )
    pq_a, pq_b = read_per_query(a, path_a), read_per_query(b, path_b)
    trial, key, va, vb = _aligned(pq_a, pq_b, metric, where)
    binary = metric.startswith("R") and pq_a.n_repeats == 1
    res = paired_compare(
        va,
        vb,
        trial,
        key,
        binary=binary,
        n_resamples=n_resamples,
        n_permutations=n_permutations,
        seed=seed,
    )
    return ComparisonRow(
        **asdict(res), protocol=a.protocol.name, leg=cell_leg(a), metric=metric, p_adjusted=res.p_value
    )


def compare_methods(
    results_dir: Path,
    method_a: str,
    method_b: str,
    *,
    metric: str = "mAP",
    protocol: str | None = None,
    legs: Sequence[str] = (),
    n_resamples: int | None = None,
    n_permutations: int | None = None,
    seed: int = 0,
) -> list[ComparisonRow]:
    """Compare ``method_a`` with ``method_b`` on every (protocol, leg) both have (filtered by
    ``protocol`` and ``legs``); Holm-adjusted p-values across the legs compared."""
    from harness.metrics.registry import metric_info
    from harness.stats.bootstrap import DEFAULT_RESAMPLES
    from harness.stats.multiple import holm
    from harness.stats.paired import DEFAULT_PERMUTATIONS

    metric = metric_info(metric).name
    if not interval_metrics([metric]):
        raise ResultError(f"--metric {metric!r}: only R<k>, mAP and mINP have per-query values to compare")
    recs_a = find_records(results_dir, method_a)
    recs_b = find_records(results_dir, method_b)
    if protocol is not None:
        from harness.protocols import get_protocol

        protocol = get_protocol(protocol).name
    cells = sorted(
        k
        for k in set(recs_a) & set(recs_b)
        if (protocol is None or k[0] == protocol) and (not legs or k[1] in legs)
    )
    if not cells:
        have_a = ", ".join(f"{p}/{leg}" for p, leg in sorted(recs_a)) or "none"
        have_b = ", ".join(f"{p}/{leg}" for p, leg in sorted(recs_b)) or "none"
        wanted = (protocol or "any protocol") + (f", legs {', '.join(legs)}" if legs else "")
        raise ResultError(
            f"{method_a} and {method_b} share no record for {wanted} "
            f"({method_a}: {have_a}; {method_b}: {have_b})"
        )
    missing_legs = [leg for leg in legs if not any(c[1] == leg for c in cells)]
    if missing_legs:
        raise ResultError(
            f"leg(s) {', '.join(missing_legs)}: not recorded for both {method_a} and {method_b}"
        )
    rows = [
        compare_pair(
            recs_a[c],
            recs_b[c],
            metric,
            n_resamples=DEFAULT_RESAMPLES if n_resamples is None else n_resamples,
            n_permutations=DEFAULT_PERMUTATIONS if n_permutations is None else n_permutations,
            seed=seed,
        )
        for c in cells
    ]
    adjusted = holm([r.p_value for r in rows])
    return [ComparisonRow(**{**asdict(r), "p_adjusted": p}) for r, p in zip(rows, adjusted, strict=True)]
