"""The seed papers' reported numbers as validated data (``results/reported``).

``load_reported()`` gives the long-format table of every printed cell; ``list_tables()`` lists what
was transcribed; ``table_layout()`` returns the row/column structure needed to redraw a table in the
paper's shape; ``printed_cells()`` rebuilds a table's value cells as the paper printed them.
"""

from __future__ import annotations

from harness.reported.layout import printed_cells
from harness.reported.loader import (
    OUTPUT_COLUMNS,
    check_directory,
    list_papers,
    list_tables,
    load_reported,
    paper_info,
    table_layout,
    table_meta,
)
from harness.reported.meta import ColumnSpec, PaperMeta, RowSpec, TableLayout, TableMeta
from harness.reported.paths import reported_dir
from harness.reported.schema import COLUMNS, DATASETS, METRICS, PROTOCOLS, MetricInfo

__all__ = [
    "COLUMNS",
    "DATASETS",
    "METRICS",
    "OUTPUT_COLUMNS",
    "PROTOCOLS",
    "ColumnSpec",
    "MetricInfo",
    "PaperMeta",
    "RowSpec",
    "TableLayout",
    "TableMeta",
    "check_directory",
    "list_papers",
    "list_tables",
    "load_reported",
    "paper_info",
    "printed_cells",
    "reported_dir",
    "table_layout",
    "table_meta",
]
