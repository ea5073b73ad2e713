"""reid-harness: fair, reproducible benchmarks for generalizable and text-based person ReID.

Importing this package is cheap: models, torch and the dataset readers load only when used.
"""

from __future__ import annotations

__version__ = "0.1.0"
