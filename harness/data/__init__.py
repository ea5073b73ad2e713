"""Datasets: readers for the real on-disk layouts, the canonical manifest, and the synthetic world."""
