"""Fixtures for the family tests."""

from __future__ import annotations

import pytest

from tests.models._small import SMALL


@pytest.fixture(params=sorted(SMALL))
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)
