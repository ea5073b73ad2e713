"""The exact training set of a protocol leg, so users train on exactly the protocol's data.

Conventions (``docs/protocols.md``):

* each source contributes the items of the splits (``parts``) the protocol names;
* pids are the readers' pids (already offset so that a dataset's train and test ids never collide,
  e.g. MSMT17 query/gallery + 1,041), then namespaced per dataset: ``train_pid = "<dataset>_<pid>"``;
* ids in the reader's ``train_excluded_pids`` (Market-1501's 0000 distractors, GRID's 0000) are
  excluded, filtering on the reader's *original* pid (so the CMDG combine-all quirk that turns the
  Market distractors into a training class does not happen); junk (Market pid -1) never reaches a
  manifest;
* ``label`` numbers the namespaced ids 0..N-1 in source order, then pid order; ``domain`` is the
  source's index in the leg; ``camlabel`` numbers the ``(dataset, camid)`` pairs the same way.

Exported with :func:`export_training_set` as CSV or Parquet, chosen by the file extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.atomic import same_first_line, write_owned
from harness.data.base import DatasetRead
from harness.data.captions import with_captions
from harness.data.manifest import Manifest
from harness.data.registry import DATASETS, get_reader
from harness.errors import ConfigError, ProtocolError
from harness.protocols.spec import LegSpec, ProtocolSpec

COLUMNS = ("path", "dataset", "split", "pid", "camid", "train_pid", "label", "domain", "camlabel", "captions")


@dataclass(frozen=True)
class SourcePart:
    """One source of a training set: its manifest restricted to ``parts`` and the ids to exclude."""

    dataset: str
    manifest: Manifest
    parts: tuple[str, ...]
    excluded_pids: frozenset[int] = frozenset()


@dataclass
class TrainingSet:
    """The rows of a training set and per-source counts."""

    rows: list[dict]
    sources: list[dict] = field(default_factory=list)

    @property
    def num_images(self) -> int:
        return len(self.rows)

    @property
    def num_ids(self) -> int:
        return len({r["train_pid"] for r in self.rows})

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def build_training_set(sources: Sequence[SourcePart]) -> TrainingSet:
    """Merge the sources into one namespaced, relabelled training set (see the module docstring)."""
    seen = [s.dataset for s in sources]
    repeated = sorted({d for d in seen if seen.count(d) > 1})
    if repeated:
        raise ProtocolError(f"training sources name {', '.join(repeated)} twice; list each dataset once")
    rows: list[dict] = []
    summary = []
    for domain, source in enumerate(sources):
        part = source.manifest.select(*source.parts)
        kept = [it for it in part if it.pid not in source.excluded_pids]
        summary.append(
            {
                "dataset": source.dataset,
                "parts": list(source.parts),
                "images": len(kept),
                "ids": len({it.pid for it in kept}),
                "excluded_images": len(part) - len(kept),
            }
        )
        for it in sorted(kept, key=lambda it: (it.pid, it.path)):
            rows.append(
                {
                    "path": it.path,
                    "dataset": source.dataset,
                    "split": it.split,
                    "pid": it.pid,
                    "camid": it.camid,
                    "train_pid": f"{source.dataset}_{it.pid}",
                    "domain": domain,
                    "captions": " || ".join(it.captions),
                }
            )
    labels: dict[str, int] = {}
    cams: dict[tuple[str, int], int] = {}
    for row in rows:
        row["label"] = labels.setdefault(row["train_pid"], len(labels))
        row["camlabel"] = cams.setdefault((row["dataset"], row["camid"]), len(cams))
    return TrainingSet(rows=rows, sources=summary)


def check_leg(protocol: ProtocolSpec, leg: LegSpec) -> None:
    """Every dataset of the leg is registered and every part it names is one of the reader's splits."""
    where = f"protocol {protocol.name!r} leg {leg.name!r}"
    for source in leg.train:
        reader = DATASETS.get(source.dataset)
        bad = [p for p in source.parts if p not in reader.splits]
        if bad:
            raise ProtocolError(
                f"{where}: {reader.title} has no part(s) {', '.join(bad)}; "
                f"its parts are {', '.join(reader.splits)}"
            )
    target = DATASETS.get(leg.test.dataset)
    if leg.test.splits is None:
        bad = [p for p in (leg.test.query, leg.test.gallery) if p not in target.splits]
        if bad:
            raise ProtocolError(
                f"{where}: test target {target.title} has no part(s) {', '.join(bad)}; "
                f"its parts are {', '.join(target.splits)} (small targets need 'splits:')"
            )


def shared_leg(protocol: ProtocolSpec, leg: str | None) -> LegSpec:
    """The leg to export: ``leg`` if given, else the one training set all legs share."""
    if leg is not None:
        return protocol.leg(leg)
    distinct = {tuple((s.dataset, s.parts) for s in lg.train) for lg in protocol.legs}
    if len(distinct) != 1:
        names = ", ".join(lg.name for lg in protocol.legs)
        raise ConfigError(
            f"protocol {protocol.name!r} trains differently per leg; choose one with --leg ({names})"
        )
    return protocol.legs[0]


def with_training_options(protocol: ProtocolSpec, leg: LegSpec, options: Sequence[str]) -> LegSpec:
    """``leg`` with the sources of the protocol's named ``training_options`` appended (in order)."""
    if not options:
        return leg
    extra = []
    base = leg.train
    for name in options:
        if name not in protocol.training_options:
            known = ", ".join(protocol.training_options) or "none"
            raise ConfigError(
                f"protocol {protocol.name!r} has no training option {name!r} (its options: {known})"
            )
        option = protocol.training_options[name]
        if option.replaces_sources:
            if len(options) > 1:
                raise ConfigError(f"training option {name!r} is a separate training stage: give it alone")
            return leg.model_copy(update={"train": option.sources})
        extra.extend(option.sources)
    names = {s.dataset for s in base}
    dup = sorted(s.dataset for s in extra if s.dataset in names)
    if dup:
        raise ConfigError(f"protocol {protocol.name!r} leg {leg.name!r} already trains on {', '.join(dup)}")
    return leg.model_copy(update={"train": (*base, *extra)})


def training_set_for_leg(
    protocol: ProtocolSpec,
    leg: LegSpec,
    data_root: Path,
    *,
    strict: bool = False,
    reads: dict[str, DatasetRead] | None = None,
) -> TrainingSet:
    """Read every source of ``leg`` under ``data_root`` and build its training set."""
    check_leg(protocol, leg)
    if not leg.train:
        raise ProtocolError(f"protocol {protocol.name!r} leg {leg.name!r} names no training sources")
    reads = {} if reads is None else reads
    parts = []
    for source in leg.train:
        reader = get_reader(source.dataset)
        if reader.name not in reads:
            reads[reader.name] = with_captions(reader.read(data_root, strict=strict), protocol.captions)
        parts.append(
            SourcePart(reader.name, reads[reader.name].manifest, source.parts, reader.train_excluded_pids)
        )
    training = build_training_set(parts)
    for summary in training.sources:
        read = reads[summary["dataset"]]
        summary.update(root=str(read.found.root), layout=read.found.layout.variant, synthetic=read.synthetic)
    return training


def export_training_set(training: TrainingSet, out: Path) -> Path:
    """Write the rows as CSV (``.csv``) or Parquet (``.parquet``/``.pq``), atomically."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise ConfigError(f"--out {out}: expected a .csv or .parquet file name")
    frame = training.to_frame()
    if suffix == ".csv":
        header = (",".join(frame.columns) + "\n").encode()
        return write_owned(
            out,
            lambda tmp: frame.to_csv(tmp, index=False, errors="surrogateescape"),
            what="a training manifest",
            ours=same_first_line(header),
        )
    from harness.extras import require

    require("pyarrow", f"writing {out}")  # pandas' own message names no extra
    undecodable = next((p for p in frame["path"] if p != p.encode("utf-8", "replace").decode()), None)
    if undecodable is not None:
        from harness.safepaths import display

        raise ConfigError(
            f"--out {out}: Parquet strings must be UTF-8, but {display(undecodable)} is not; "
            "write a .csv manifest instead (it keeps the file system's bytes)"
        )
    return write_owned(
        out,
        lambda tmp: frame.to_parquet(tmp, index=False),
        what="a training manifest",
        ours=lambda head: head[:4] == b"PAR1",
    )
