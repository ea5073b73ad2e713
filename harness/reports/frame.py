"""The one long frame of measured results: one row per (record, metric), units explicit.

Columns (:data:`COLUMNS`)::

    method            str    ``name`` or ``name[variant]``
    protocol          str    protocol name (``name@vN`` for a version other than the installed one)
    protocol_version  int
    leg               str    the protocol's leg
    settings          str    the record's settings slug ('' for defaults; ``mask0.3``, ``flip``, ...)
    kind              str    ``image`` or ``text`` (caption queries)
    train             str    training datasets joined by ``+``
    dataset           str    test dataset
    mask_ratio        float  query-caption mask ratio (NaN when captions were not masked)
    metric            str    a registered metric (``harness.metrics.registry``)
    value             float  the metric in its display unit (``unit``)
    std               float  std over trials or mask repeats, same unit (NaN for one evaluation)
    unit              str    the display unit: ``%`` for R1/R5/R10/mAP/mINP (record fractions x100)
    reportable        bool   False for random-init weights or synthetic data
    path              str    the record file

Tables, plots and the text-mask reports read measured numbers from this frame only, so a value is
never a fraction in one place and a percentage in another.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from harness.reports.measured import Measured

COLUMNS = (
    "method",
    "protocol",
    "protocol_version",
    "leg",
    "settings",
    "kind",
    "train",
    "dataset",
    "mask_ratio",
    "metric",
    "value",
    "std",
    "unit",
    "reportable",
    "path",
)


def measured_frame(measured: Iterable[Measured]) -> pd.DataFrame:
    """The long frame (module docstring) of ``measured`` records (``harness.reports.measured``)."""
    import pandas as pd

    from harness.metrics.registry import find_metric, order_metrics

    rows = []
    for m in measured:
        for name in order_metrics(m.metrics):
            info = find_metric(name)
            rows.append(
                {
                    "method": m.method,
                    "protocol": m.protocol,
                    "protocol_version": m.protocol_version,
                    "leg": m.leg,
                    "settings": m.settings,
                    "kind": m.kind,
                    "train": "+".join(sorted(m.train)),
                    "dataset": m.target,
                    "mask_ratio": float("nan") if m.mask_ratio is None else m.mask_ratio,
                    "metric": name,
                    "value": m.metrics[name],
                    "std": m.metrics_std.get(name, float("nan")),
                    "unit": info.unit if info else "",
                    "reportable": not m.nonreportable,
                    "path": m.path,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))
