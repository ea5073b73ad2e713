"""Methods: metafile cards, the registry, and the generic adapter behind :func:`load_method`."""

from harness.methods.adapter import MethodAdapter, WeightsInfo
from harness.methods.card import CheckpointEntry, MethodCard
from harness.methods.load import load_method
from harness.methods.registry import METHODS, get_card

__all__ = [
    "METHODS",
    "CheckpointEntry",
    "MethodAdapter",
    "MethodCard",
    "WeightsInfo",
    "get_card",
    "load_method",
]
