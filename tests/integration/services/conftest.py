"""Tests every service must pass alike, run once per service: see
``tests.support.service_fixtures``."""

from __future__ import annotations

import pytest

from tests.support.service_apps import SERVICES
from tests.support.service_fixtures import *  # noqa: F403


@pytest.fixture(params=SERVICES)
def service_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
