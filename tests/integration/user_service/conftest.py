"""The user-service's integration fixtures: see ``tests.support.service_fixtures``."""

from __future__ import annotations

import pytest

from tests.support.service_apps import USER_SERVICE
from tests.support.service_fixtures import *  # noqa: F403


@pytest.fixture
def service_name() -> str:
    return USER_SERVICE
