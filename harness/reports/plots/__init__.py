"""Plots in one style (matplotlib, Agg backend), written as PNG and SVG.

- :mod:`.cmc`: CMC curves per method (records carry ``cmc``).
- :mod:`.textmask`: R1 and mAP against the query-text mask ratio (DGCMIA Table 2 as a picture).
- :mod:`.pareto`: accuracy against GFLOPs / parameters / inference time with the Pareto front.
- :mod:`.tsne`: t-SNE of image and text features coloured by identity (DGCMIA Figure 1).
- :mod:`.ranked`: ranked-list grids, query then top-k gallery with green/red borders (DMF Figure 4).
"""

from __future__ import annotations
