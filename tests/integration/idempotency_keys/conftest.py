"""The Idempotency-Key against MariaDB: every POST of every service, run once per service
(``tests.support.service_fixtures``), and with auth on, keys per caller (the test run's
issuer, ``tests.support.jwt_fixtures``)."""

from __future__ import annotations

import pytest

from tests.support.jwt_fixtures import *  # noqa: F403
from tests.support.service_apps import SERVICES
from tests.support.service_fixtures import *  # noqa: F403


@pytest.fixture(params=SERVICES)
def service_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
