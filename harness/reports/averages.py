"""The paper-style average over a protocol's legs (P1: the mean over PRID, GRID, VIPeR and iLIDS;
ReText Table 6: over the three leave-one-out targets), for one method's records."""

from __future__ import annotations

from collections.abc import Iterable


def legs_average(records: Iterable, protocol: str) -> dict[str, float] | None:
    """Mean of each metric over every leg of ``protocol`` (registry legs), or None unless every leg
    has exactly one record, all of one method and variant, with the same settings block."""
    from harness.protocols.registry import get_protocol
    from harness.reported.cells import run_identity

    spec = get_protocol(protocol)
    by_leg = {}
    methods = set()
    for record in records:
        if record.protocol.name != spec.name:
            continue
        ident = run_identity(record)
        if ident.leg in by_leg:
            return None
        by_leg[ident.leg] = record
        methods.add((record.method.name, record.method.variant, ident.settings))
    if len(methods) != 1 or set(by_leg) != {leg.name for leg in spec.legs}:
        return None
    shared = set.intersection(*(set(r.metrics) for r in by_leg.values()))
    return {k: sum(r.metrics[k] for r in by_leg.values()) / len(by_leg) for k in sorted(shared)}
