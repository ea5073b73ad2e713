"""The static leaderboard: one HTML page per protocol (sortable, reported vs measured marked, measured
rows linked to their record and provenance), an index, and a Markdown version. No server, no CDN: the
pages use inline CSS and JavaScript and work from ``file://``.
"""

from __future__ import annotations

from harness.reports.leaderboard.entries import Entry, leaderboard_entries
from harness.reports.leaderboard.site import build_leaderboard

__all__ = ["Entry", "build_leaderboard", "leaderboard_entries"]
