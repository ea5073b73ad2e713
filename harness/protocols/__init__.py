"""Protocols: declarative, versioned evaluation settings read from ``protocols/*.yaml``."""

from harness.protocols.registry import PROTOCOLS, get_protocol
from harness.protocols.spec import EvaluationSpec, LegSpec, ProtocolSpec, TestSpec, TextSpec, TrainSource

__all__ = [
    "PROTOCOLS",
    "EvaluationSpec",
    "LegSpec",
    "ProtocolSpec",
    "TestSpec",
    "TextSpec",
    "TrainSource",
    "get_protocol",
]
