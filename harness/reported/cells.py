"""Cell identity: which run would reproduce a reported cell, and which record fills it.

A reported line (protocol, training set, target, setting) resolves to a :class:`CellRef`: the
protocol leg whose training sources and test target are the line's (looked up in the protocol
registry), every other registry leg with the same training set, test split and scoring (e.g.
``single/market1501`` and ``cross/M-M``), and the evaluation :class:`Settings` the line asks for.
Or it resolves to :class:`NoRun`, saying why no run can reproduce it.

A result record gives a :class:`RunIdentity` (protocol, leg, settings). A record fills a cell when
its (protocol, leg) is one of the cell's runs and its settings equal the cell's; never by
comparing display strings. :func:`explain_miss` names the field that kept a record out of its
nearest cell.

Settings of a line: ``''`` and ``single`` mean the harness defaults (no re-ranking, no query
expansion, no flip); ``re-ranking`` means k-reciprocal re-ranking with k1=20, k2=6, lambda=0.3
(the published defaults; DTTA states no other); ``mask_ratio=R`` a text-mask ratio. Any other
setting names a training configuration (an ablation switch): the line's column still points at
its leg, and the setting says which trained model the paper's row is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from harness.errors import ResultError
from harness.reported.vocabulary import (
    AVERAGE_TARGET,
    PAPER_ONLY_METRICS,
    DatasetRef,
    parse_target,
    parse_training_set,
)
from harness.results.identity import RecordKey

RERANK_DEFAULTS: tuple[int, int, float] = (20, 6, 0.3)
"""k-reciprocal re-ranking (k1, k2, lambda): Zhong et al. 2017, torchreid / fast-reid defaults."""

RERANK_SETTING = "re-ranking"
PLAIN_SETTINGS = ("", "single")
MASK_PREFIX = "mask_ratio="


@dataclass(frozen=True, slots=True)
class Settings:
    """Evaluation settings that change numbers (the defaults: none of them)."""

    rerank: tuple[int, int, float] | None = None
    aqe: tuple[int, int, float] | None = None
    flip: bool = False
    mask_ratio: float | None = None
    other: tuple[str, ...] = ()
    """Any other evaluation setting that is not the default, as the record identity's slug parts
    (``cosine``: a distance other than the protocol's; ``unk0.3``: another text-mask strategy)."""

    def differences(self, other: Settings) -> list[tuple[str, Any, Any]]:
        """``(field, mine, other's)`` for each setting that differs."""
        out = []
        for name in ("rerank", "aqe", "flip", "mask_ratio", "other"):
            a, b = getattr(self, name), getattr(other, name)
            if name == "mask_ratio" and a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9):
                continue
            if a != b:
                out.append((name, a, b))
        return out

    def describe(self) -> str:
        bits = []
        if self.rerank:
            bits.append("re-ranking k1={},k2={},lambda={:g}".format(*self.rerank))
        if self.aqe:
            bits.append("AQE qe_times={},qe_k={},alpha={:g}".format(*self.aqe))
        if self.flip:
            bits.append("flip")
        if self.mask_ratio is not None:
            bits.append(f"mask ratio {self.mask_ratio:g}")
        bits.extend(self.other)
        return ", ".join(bits) or "defaults"


def line_settings(setting: str) -> Settings | None:
    """The evaluation settings a reported ``setting`` asks for; None for a training configuration."""
    if setting in PLAIN_SETTINGS:
        return Settings()
    if setting == RERANK_SETTING:
        return Settings(rerank=RERANK_DEFAULTS)
    if setting.startswith(MASK_PREFIX):
        try:
            return Settings(mask_ratio=float(setting[len(MASK_PREFIX) :]))
        except ValueError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class CellRef:
    """What reproduces a reported cell: a protocol leg (plus equivalent legs) and its settings."""

    protocol: str
    leg: str
    settings: Settings
    also: tuple[tuple[str, str], ...] = ()
    """Other (protocol, leg) pairs with the same training set, test split and scoring."""
    training: str = ""
    """The paper's training configuration of the line (an ablation setting), or ''."""

    @property
    def runs(self) -> tuple[tuple[str, str], ...]:
        return ((self.protocol, self.leg), *self.also)

    @property
    def key(self) -> tuple:
        """Identity for grouping rows: runs and settings (not the training configuration)."""
        return (self.runs, self.settings)

    def describe(self) -> str:
        runs = " or ".join(f"{p}/{leg}" for p, leg in self.runs)
        return f"{runs} ({self.settings.describe()})"


@dataclass(frozen=True, slots=True)
class NoRun:
    """A reported cell that no ``harness run`` reproduces, and why."""

    reason: str

    @property
    def key(self) -> tuple:
        return ("no-run", self.reason)


CellIdentity = CellRef | NoRun


@dataclass(frozen=True, slots=True)
class RunIdentity:
    """What a result record was run as: protocol (name, version), registry leg, settings."""

    protocol: str
    version: int
    leg: str
    settings: Settings
    target: str = ""
    """The record's test dataset (registry name)."""
    model_tag: str = ""
    """What tells this record's model apart from the method's default one (a precision other than
    the card's, a checkpoint other than the card's): measured rows are per method and tag."""
    record_leg: str = ""
    """The record's own leg name (``cuhk-pedes@mask0.3`` for the ``cuhk-pedes`` leg at ratio 0.3)."""
    key: RecordKey | None = field(default=None, compare=False)
    """The record identity this is a view of (:func:`harness.results.identity.record_key`): what the
    record path, the leaderboard rows and ``harness check`` key on."""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


# --- reported line -> cell identity ---------------------------------------------------------------


def _leg_signature(protocol, leg) -> tuple:
    from harness.data.registry import DATASETS

    train = frozenset((DATASETS.canonical(s.dataset), tuple(sorted(s.parts))) for s in leg.train)
    test = leg.test.model_dump()
    test["dataset"] = DATASETS.canonical(test["dataset"])
    return (train, tuple(sorted(test.items())), protocol.evaluation_for(leg), protocol.text)


@lru_cache(maxsize=1)
def _all_legs() -> tuple[tuple[str, str, tuple], ...]:
    from harness.protocols.registry import PROTOCOLS

    out = []
    for name in PROTOCOLS.names():
        spec = PROTOCOLS.get(name)
        for leg in spec.legs:
            out.append((name, leg.name, _leg_signature(spec, leg)))
    return tuple(out)


def _sources_match(refs: tuple[DatasetRef, ...], leg) -> bool:
    from harness.data.registry import DATASETS

    sources = [(DATASETS.canonical(s.dataset), s.parts) for s in leg.train]
    if len(sources) != len(refs):
        return False
    left = list(sources)
    for ref in refs:
        hit = next((s for s in left if ref.accepts(*s)), None)
        if hit is None:
            return False
        left.remove(hit)
    return True


def resolve_leg(protocol: str, training_set: str, target: str, where: str = "") -> tuple[str, str]:
    """The (protocol, leg) that trains on ``training_set`` and tests on ``target``.

    Raises :class:`ResultError` when no leg or several legs match (then the reported data must state
    the parts, e.g. ``msmt17[train;val]`` vs ``msmt17[all]``).
    """
    from harness.data.registry import DATASETS
    from harness.protocols.registry import get_protocol

    spec = get_protocol(protocol)
    refs = parse_training_set(training_set, where)
    goal = parse_target(target, statistics=False, where=where)
    if goal is None:
        raise ResultError(f"{where}target {target!r} is derived (an Average); it has no leg")
    hits = [
        leg.name
        for leg in spec.legs
        if DATASETS.canonical(leg.test.dataset) in goal.names and _sources_match(refs, leg)
    ]
    if len(hits) == 1:
        return spec.name, hits[0]
    what = f"protocol {protocol!r}, training set {training_set!r}, target {target!r}"
    if not hits:
        legs = ", ".join(leg.name for leg in spec.legs)
        raise ResultError(f"{where}no leg of {what} (legs: {legs})")
    raise ResultError(
        f"{where}{what} matches legs {', '.join(hits)}: state the parts in training_set "
        "(e.g. msmt17[train;val] or msmt17[all])"
    )


def equivalent_legs(protocol: str, leg: str) -> tuple[tuple[str, str], ...]:
    """Other registry legs with the same training sources, test split and evaluation settings."""
    legs = _all_legs()
    mine = next(sig for p, name, sig in legs if p == protocol and name == leg)
    return tuple((p, name) for p, name, sig in legs if sig == mine and (p, name) != (protocol, leg))


NO_RUN_STATISTICS = "dataset statistics: counted from the data (`harness data`), not by a run"
NO_RUN_AVERAGE = "an Average column: computed from the measured row's own cells"
NO_RUN_DELTA = "a printed difference between two methods: not a run's number"


def cell_identity(line: dict[str, str] | Any, *, kind: str, where: str = "") -> CellIdentity:
    """The identity of one reported line (a CSV row as a mapping)."""
    get = line.get if hasattr(line, "get") else line.__getitem__
    if kind == "statistics":
        return NoRun(NO_RUN_STATISTICS)
    metric = str(get("metric"))
    if metric.startswith("delta_"):
        return NoRun(NO_RUN_DELTA)
    if str(get("target")) == AVERAGE_TARGET:
        return NoRun(NO_RUN_AVERAGE)
    if metric in ("num_ids", "num_images"):
        return NoRun(PAPER_ONLY_METRICS[metric])
    setting = str(get("setting"))
    wanted = line_settings(setting)
    protocol, leg = resolve_leg(str(get("protocol")), str(get("training_set")), str(get("target")), where)
    return CellRef(
        protocol=protocol,
        leg=leg,
        settings=wanted if wanted is not None else Settings(),
        also=equivalent_legs(protocol, leg),
        training="" if wanted is not None else setting,
    )


# --- record -> run identity -----------------------------------------------------------------------


_OWN_PARTS = ("rerank", "aqe", "flip", "mask")


def run_identity(record) -> RunIdentity:
    """A record's protocol, registry leg and settings, read from its typed ``settings`` block: a view
    of its record identity (:func:`harness.results.identity.record_key`, kept in ``key``) built from
    the same slug parts."""
    from harness.results.identity import SPLITS_PREFIX, evaluation_parts, record_key, weights_parts

    s = record.settings
    rerank = (s.rerank.k1, s.rerank.k2, float(s.rerank.lambda_value)) if s.rerank else None
    aqe = (s.aqe.qe_times, s.aqe.qe_k, float(s.aqe.alpha)) if s.aqe else None
    mask = s.text_mask
    ratio = float(mask.ratio) if mask is not None else None
    dtype = s.dtype if s.method_dtype is not None and s.dtype != s.method_dtype else None
    parts = evaluation_parts(s, record.protocol.evaluation)
    # the user's published splits fill the same cells as the harness's own trials (the papers used
    # them), tagged so that the two runs are two rows
    splits = [p for p in parts if p.startswith(SPLITS_PREFIX)]
    other = tuple(p for p in parts if p != dtype and not p.startswith((*_OWN_PARTS, SPLITS_PREFIX)))
    weights = [p for p in weights_parts(s, record.method.weights) if p != "random-init"]  # † marks it
    tag = [dtype, *weights, *splits] if dtype else [*weights, *splits]
    leg = record.protocol.leg
    return RunIdentity(
        protocol=record.protocol.name,
        version=record.protocol.version,
        leg=leg.split("@", 1)[0],
        settings=Settings(rerank=rerank, aqe=aqe, flip=bool(s.flip), mask_ratio=ratio, other=other),
        target=record.protocol.test.dataset,
        model_tag="+".join(tag),
        record_leg=leg,
        key=record_key(record),
    )


# --- matching -------------------------------------------------------------------------------------


def fills(run: RunIdentity, cell: CellIdentity) -> bool:
    """Whether a record run as ``run`` reproduces ``cell``."""
    if not isinstance(cell, CellRef) or (run.protocol, run.leg) not in cell.runs:
        return False
    if run.version != _registry_version(run.protocol):
        return False
    return not run.settings.differences(cell.settings)


def _registry_version(protocol: str) -> int | None:
    from harness.protocols.registry import PROTOCOLS

    try:
        return PROTOCOLS.get(protocol).version
    except Exception:
        return None


def mismatch(run: RunIdentity, cell: CellRef) -> list[str]:
    """Why ``run`` does not fill ``cell``: one ``field: record X, cell wants Y`` per differing field."""
    out = []
    if run.protocol not in {p for p, _ in cell.runs}:
        wanted = " or ".join(sorted({p for p, _ in cell.runs}))
        out.append(f"protocol: record {run.protocol}, cell wants {wanted}")
    elif (run.protocol, run.leg) not in cell.runs:
        legs = "/".join(leg for p, leg in cell.runs if p == run.protocol)
        out.append(f"leg: record {run.leg}, cell wants {legs}")
    version = _registry_version(run.protocol)
    if version is not None and run.version != version:
        out.append(f"protocol version: record {run.version}, cell wants {version}")
    for name, mine, wanted in run.settings.differences(cell.settings):
        out.append(f"settings.{name}: record {_show(mine)}, cell wants {_show(wanted)}")
    return out


def _show(value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) or "none"
    return str(value)


def explain_miss(run: RunIdentity, cells: list[tuple[str, CellRef]]) -> str:
    """The nearest of ``cells`` (labelled) to a record that fills none of them, and what kept it out."""
    if not cells:
        return "the table has no cell a run can fill"
    scored = sorted(cells, key=lambda lc: (len(mismatch(run, lc[1])), _rank(run, lc[1])))
    label, cell = scored[0]
    return f"nearest cell {label} ({cell.describe()}): " + "; ".join(mismatch(run, cell))


def _rank(run: RunIdentity, cell: CellRef) -> tuple[int, int]:
    """Tie-break for the nearest cell: same test dataset first, then the record's own protocol."""
    return (
        0 if run.target == cell_target(cell) else 1,
        0 if run.protocol in {p for p, _ in cell.runs} else 1,
    )


def cell_target(cell: CellRef) -> str:
    """The registry test dataset of a cell's leg."""
    from harness.data.registry import DATASETS
    from harness.protocols.registry import get_protocol

    return DATASETS.canonical(get_protocol(cell.protocol).leg(cell.leg).test.dataset)
