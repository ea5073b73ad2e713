"""Reports: paper-style tables, plots and the static leaderboard built from reported and measured numbers.

Tables (:mod:`harness.reports.tables`) are generated from the per-table layout metadata of
``results/reported``; measured result records are placed beside the reported rows
(:mod:`harness.reports.measured`). Plots live in :mod:`harness.reports.plots`, the leaderboard site in
:mod:`harness.reports.leaderboard`.
"""

from __future__ import annotations
