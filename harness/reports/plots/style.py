"""The one plot style: Agg backend, a colour-blind-safe palette, paper-sized figures and fonts.

Conventions every plot follows:

- **One style per method in every figure.** :func:`method_style` maps a method name to a colour and
  a marker from its position in a fixed list: the built-in method cards (sorted), then the other
  methods named in the transcribed paper tables (sorted), all by :func:`method_key` (case,
  punctuation, variant and ``(measured)`` ignored, so ``dtta``, ``DTTA`` and ``dtta[swin-b]
  (measured)`` share one style). The built-in methods all get different colours; a name outside the
  list (a user's method) gets a style from a hash of its key. Colour x marker gives 128 styles.
- **Not-reportable results are marked**: hollow markers, a dashed line and a dagger in the legend
  (:data:`NONREPORTABLE`), with a legend line saying what the dagger means.
- **Legends never sit on data**: :func:`legend_below` puts them under the axes.
- **Sizes**: :data:`COLUMN_WIDTH` (one column of a two-column paper) and :data:`PAGE_WIDTH` inches;
  files are PNG (``dpi``, 300 by default) plus SVG and PDF (vector), all through
  :mod:`harness.atomic` with ordinary file permissions.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display is ever needed

import matplotlib.pyplot as plt

from harness.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PALETTE = (
    *("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"),
    *("#332288", "#882255", "#44aa99", "#999933", "#cc6677", "#117733", "#88ccee", "#ddcc77"),
    "#f0e442",
)
"""Okabe-Ito's colours and Paul Tol's muted ones: 16 colour-blind-safe colours, the pale yellow last."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "p")
"""Markers that read both filled and hollow."""

NONREPORTABLE = "†"
NONREPORTABLE_NOTE = f"{NONREPORTABLE} not reportable: random-init weights or synthetic data"

COLUMN_WIDTH = 3.5
"""Inches: one column of a two-column paper (IEEE 3.5 in, CVPR 3.25 in)."""
PAGE_WIDTH = 7.16
"""Inches: the full text width of a two-column paper."""

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "svg.hashsalt": "reid-harness",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}
FORMATS = ("png", "svg", "pdf")

plt.rcParams.update(RC)  # fonts are resolved when an artist is made, so the style holds process-wide


def figure(nrows: int = 1, ncols: int = 1, width: float = 4.0, height: float = 3.0, **kw):
    """A new figure and axes in the harness style (``width``/``height`` in inches per panel)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    return fig, axes


def column_figure(nrows: int = 1, ncols: int = 1, *, width: float = COLUMN_WIDTH, aspect: float = 0.75, **kw):
    """A figure ``width`` inches wide (a paper column by default), each panel ``aspect`` high."""
    panel = width / ncols
    return figure(nrows, ncols, width=panel, height=panel * aspect, **kw)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


# -- method styles ------------------------------------------------------------------------------

_SUFFIX = re.compile(r"\s*\((measured|reported)\)\s*$", re.IGNORECASE)


def method_key(name: str) -> str:
    """A method's style key: lower-case letters and digits only, without ``(measured)``, a dagger,
    a setting in parentheses or a ``[variant]`` (variants share their method's style)."""
    base = _SUFFIX.sub("", name.replace(NONREPORTABLE, "")).strip()
    base = re.sub(r"\[.*?\]|\(.*?\)", "", base)
    return re.sub(r"[^0-9a-z]", "", base.lower())


@lru_cache(maxsize=1)
def _known_methods() -> tuple[str, ...]:
    """Style keys: the built-in method cards, then every other method named in a transcribed table."""
    from harness.reported import load_reported
    from harness.resources import builtin_dir

    builtin = sorted(
        {method_key(p.name) for p in builtin_dir("methods").iterdir() if (p / "method.yaml").is_file()}
    )
    reported = {method_key(str(m)) for m in load_reported()["method"].unique()} - set(builtin) - {""}
    return (*builtin, *sorted(reported))


@dataclass(frozen=True)
class MethodStyle:
    colour: str
    marker: str


def method_style(name: str) -> MethodStyle:
    """The colour and marker of method ``name``, the same in every figure (see the module doc)."""
    key = method_key(name)
    known = _known_methods()
    index = known.index(key) if key in known else int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    index %= len(PALETTE) * len(MARKERS)
    return MethodStyle(PALETTE[index % len(PALETTE)], MARKERS[index // len(PALETTE)])


def series_label(method: str, *, measured: bool = False, nonreportable: bool = False) -> str:
    """A legend label: ``method``, ``method (measured)``, with a dagger when not reportable."""
    return f"{method}{' (measured)' if measured else ''}{NONREPORTABLE if nonreportable else ''}"


def point_kwargs(method: str, *, nonreportable: bool = False, size: float = 4.0) -> dict:
    """Matplotlib ``plot`` keyword arguments of one method's series (hollow when not reportable)."""
    style = method_style(method)
    kw = {"color": style.colour, "marker": style.marker, "markersize": size}
    if nonreportable:
        kw.update(markerfacecolor="white", markeredgecolor=style.colour, markeredgewidth=1.0)
    return kw


def identity_colours(n: int) -> list[str]:
    """``n`` distinct colours for identities (no repeat for any ``n``): tab20 + tab20b + tab20c up to
    60, then evenly spaced hues alternating in lightness."""
    from matplotlib import colors as mcolors

    if n <= 60:
        table = [
            mcolors.to_hex(c) for cmap in ("tab20", "tab20b", "tab20c") for c in plt.get_cmap(cmap).colors
        ]
        unique = list(dict.fromkeys(table))
        return unique[:n]
    out = []
    for i in range(n):
        hue = i / n
        value = 0.95 if i % 2 == 0 else 0.65
        out.append(mcolors.to_hex(mcolors.hsv_to_rgb((hue, 0.85, value))))
    return out


# -- titles -------------------------------------------------------------------------------------


def dataset_title(name: str) -> str:
    """A dataset's printed name (``Market-1501``, ``CUHK03-NP (labeled)``): its reader's ``title``
    in the dataset registry, else the reported-numbers vocabulary, else the name itself."""
    from harness.data.registry import DATASETS as READERS
    from harness.reported import DATASETS

    if name in READERS:
        try:
            return str(READERS.get(name).title)
        except (ImportError, AttributeError):  # a plug-in reader without a title
            pass
    return DATASETS.get(name, name).split(" (")[0]


def protocol_title(protocol: str, *, short: bool = False) -> str:
    """The registered protocol's title, else the name itself; ``short`` keeps the part before a colon
    (the rest lists the legs, which a one-leg figure names itself)."""
    from harness.protocols.registry import PROTOCOLS

    title = PROTOCOLS.get(protocol).title if protocol in PROTOCOLS else protocol
    return title.split(":")[0].strip() if short else title


def leg_title(protocol: str, leg: str) -> str:
    """A leg as a reader names it: ``MSMT17 + CUHK-SYSU + CUHK03-NP -> Market-1501`` (sources -> target),
    or the target alone when a leg trains and tests on one dataset."""
    from harness.protocols.registry import PROTOCOLS

    if protocol not in PROTOCOLS:
        return leg
    spec = PROTOCOLS.get(protocol)
    if leg not in [lg.name for lg in spec.legs]:
        return leg
    spec_leg = spec.leg(leg)
    target = dataset_title(spec_leg.test.dataset)
    sources = [dataset_title(src.dataset) for src in spec_leg.train]
    if not sources or sources == [target]:
        return target
    return f"{' + '.join(sources)} \u2192 {target}"


# -- layout -------------------------------------------------------------------------------------


def legend_below(fig: Figure, axes: Sequence[Axes], *, ncol: int | None = None, note: str | None = None):
    """One figure legend under all axes, below their tick labels and axis labels (collected from
    every axes, deduplicated): never over data, and never wider than the figure (fewer columns
    until it fits). ``note`` (e.g. what the dagger means) is the legend's title line."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if not handles and not note:
        return None
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bottom = min(ax.get_tightbbox(renderer).transformed(fig.transFigure.inverted()).y0 for ax in axes)
    width = fig.get_window_extent(renderer).width
    legend = None
    for columns in range(ncol or min(3, max(1, len(handles))), 0, -1):
        if legend is not None:
            legend.remove()
        legend = fig.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, bottom - 0.01),
            bbox_transform=fig.transFigure,
            ncol=columns,
            frameon=False,
            handlelength=1.6,
            columnspacing=1.0,
            title=note,
            title_fontproperties={"size": 6.5, "style": "italic"},
        )
        if legend.get_window_extent(renderer).width <= width:
            break
    return legend


def _drawn_texts(fig: Figure) -> list:
    """Text artists that are drawn: tick labels only for ticks inside the view limits."""
    ticks, drawn = set(), []
    for ax in fig.axes:
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = min(low, high), max(low, high)
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                ticks.update((id(tick.label1), id(tick.label2)))
                if low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    drawn += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    for artist in fig.findobj(matplotlib.text.Text):
        if id(artist) not in ticks and artist.get_visible():
            drawn.append(artist)
    return drawn


def text_overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of drawn, non-empty texts (titles, labels, annotations, legend texts, tick labels)
    whose boxes overlap: a figure a reviewer would reject."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = []
    for artist in _drawn_texts(fig):
        if artist.get_text().strip():
            box = artist.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                texts.append((artist.get_text(), box.expanded(0.98, 0.9)))
    clashes = []
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1 :]:
            if box_a.overlaps(box_b):
                clashes.append((a, b))
    return clashes


def legend_over_data(fig: Figure) -> bool:
    """True when a legend's box overlaps any axes' plotting area."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.get_visible() and ax.axison and box.overlaps(ax.get_window_extent(renderer)):
                return True
    return False


def save(
    fig: Figure, base: Path | str, formats: Iterable[str] = FORMATS, *, dpi: int | None = None
) -> list[Path]:
    """Write ``fig`` as ``base.png``/``.svg``/``.pdf`` (atomically, mode 0666 less the umask) and close
    it; return the paths. ``dpi`` applies to PNG (default :data:`RC` ``savefig.dpi``)."""
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
        fig.savefig(buf, format=fmt, bbox_inches="tight", metadata=metadata, dpi=dpi or RC["savefig.dpi"])
        paths.append(write_bytes_atomic(Path(f"{base}.{fmt}"), buf.getvalue()))
    plt.close(fig)
    return paths


def figure_title(protocol: str, leg: str | None = None, *, width: int = 52) -> str:
    """A figure title from the registries: the leg (sources -> target) over the protocol's title
    (short when a leg is named), wrapped to ``width`` characters (a column-wide figure)."""
    import textwrap

    lines = textwrap.wrap(leg_title(protocol, leg), width=width) if leg else []
    lines += textwrap.wrap(protocol_title(protocol, short=bool(leg)), width=width)
    return "\n".join(lines)


def metric_decimals(metric: str) -> int:
    """Decimals a metric is printed with: the metric registry's ``decimals`` (2 for a metric the
    registry does not know)."""
    from harness.metrics.registry import METRICS

    if metric in METRICS:
        return int(getattr(METRICS.get(metric), "decimals", 2))
    return 2


_OFFSETS = ((4, 4), (4, -10), (-4, 4), (-4, -10), (6, -3), (-6, -3), (0, 8), (0, -14), (10, 10), (-10, 10))


def place_labels(ax: Axes, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str], **kw) -> list:
    """Annotate each point with its label at the first of a few offsets (right, below, left, ...) where
    the label box clears every label placed before, the points and the axes edge; a label with no
    free spot is pushed further out with a thin leader line."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    point_boxes = []
    for x, y in zip(xs, ys, strict=True):
        px, py = ax.transData.transform((x, y))
        point_boxes.append(matplotlib.transforms.Bbox.from_extents(px - 3, py - 3, px + 3, py + 3))
    frame = ax.get_window_extent(renderer)
    placed, texts = [], []
    for x, y, label in zip(xs, ys, labels, strict=True):
        text, box = None, None
        for dx, dy in _OFFSETS:
            if text is not None:
                text.remove()
            text = ax.annotate(
                label,
                (x, y),
                textcoords="offset points",
                xytext=(dx, dy),
                ha="left" if dx >= 0 else "right",
                fontsize=6.5,
                **kw,
            )
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(b) for b in [*placed, *point_boxes]):
                break
        else:  # nothing free: push it out, stacked, with a leader line
            text.remove()
            text = ax.annotate(
                label,
                (x, y),
                textcoords="offset points",
                xytext=(14, 14 + (9 * len(texts)) % 40),
                fontsize=6.5,
                arrowprops={"arrowstyle": "-", "linewidth": 0.4, "color": "#777777"},
                **kw,
            )
            box = text.get_window_extent(renderer)
        placed.append(box)
        texts.append(text)
    return texts
