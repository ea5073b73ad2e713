"""Which cells of each paper table a ``harness run`` can fill, and why the others cannot.

Built from the cell identities (:mod:`harness.reported.cells`), so the listing in
``docs/reports.md`` (``harness report --fillable``) never drifts from what the tables do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from harness.reported import load_reported, table_meta
from harness.reported.cells import CellRef, cell_identity
from harness.reports.names import table_names

COST_METRICS = ("params_M", "gflops", "inference_time")


@dataclass
class Fillability:
    """One table: the runs that fill its cells, and the reasons the other cells have no run."""

    name: str
    label: str
    runs: dict[str, list[str]] = field(default_factory=dict)
    """settings description -> ``protocol/leg`` runs (equivalent legs joined by ``=``)."""
    fillable: int = 0
    reasons: Counter = field(default_factory=Counter)
    training: list[str] = field(default_factory=list)
    """Training configurations the paper's rows differ by (ablation settings)."""
    profile: bool = False
    """Some cells are cost figures: the run needs ``--profile``."""


def table_fillability(name: str) -> Fillability:
    """The fillability of the table ``name`` (``retext-t6``)."""
    tn = next(t for t in table_names() if t.name == name)
    meta = table_meta(tn.paper, tn.table)
    frame = load_reported(tn.paper, tn.table)
    out = Fillability(name, f"{tn.paper} {meta.label}")
    runs: dict[str, dict[str, None]] = {}
    for _, line in frame.iterrows():
        if line["status"] == "not applicable":
            out.reasons["the paper marks it not applicable (the target is part of the training set)"] += 1
            continue
        ident = cell_identity(line, kind=meta.kind)
        if not isinstance(ident, CellRef):
            out.reasons[ident.reason] += 1
            continue
        out.fillable += 1
        runs.setdefault(ident.settings.describe(), {})["=".join(f"{p}/{leg}" for p, leg in ident.runs)] = None
        if line["metric"] in COST_METRICS:
            out.profile = True
        if ident.training and ident.training not in out.training:
            out.training.append(ident.training)
    out.runs = {k: list(v) for k, v in runs.items()}
    return out


def fillability_rows(names: list[str] | None = None) -> list[dict[str, str]]:
    """One row per table (every table, or those in ``names``): table, label, the number of
    fillable lines, the runs that fill them and the cells no run reproduces."""
    rows = []
    for t in table_names():
        if names is not None and t.name not in names:
            continue
        f = table_fillability(t.name)
        filled = "; ".join(
            f"{', '.join(runs)}" + ("" if settings == "defaults" else f" ({settings})")
            for settings, runs in f.runs.items()
        )
        if f.profile:
            filled += "; parameters, FLOPs and time with `harness run --profile`"
        if f.training:
            filled += (
                f". The paper's rows are training configurations ({', '.join(f.training)}): a run "
                "fills a measured row; a paper row is reproduced only by weights trained that way"
            )
        missing = "; ".join(f"{n}: {reason}" for reason, n in f.reasons.items()) or "none"
        rows.append(
            {
                "table": f.name,
                "label": f.label,
                "fillable": str(f.fillable),
                "runs": filled,
                "missing": missing,
            }
        )
    return rows


def fillability_markdown(names: list[str] | None = None) -> str:
    """The fillability listing of every table (or those in ``names``), as the Markdown table in
    ``docs/reports.md``."""
    lines = [
        "| table | cells a run fills: protocol/leg (settings) | cells no run reproduces |",
        "|---|---|---|",
    ]
    for r in fillability_rows(names):
        filled = f"{r['fillable']} lines: {r['runs'] or 'none'}"
        lines.append(f"| `{r['table']}` ({r['label']}) | {filled} | {r['missing']} |")
    return "\n".join(lines) + "\n"


def fillability_csv(names: list[str] | None = None) -> str:
    """The fillability listing as CSV: table, label, fillable (lines), runs, missing."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["table", "label", "fillable", "runs", "missing"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(fillability_rows(names))
    return buffer.getvalue()
