"""The test run's RSA keys and their issuer (``tests.support.jwt_fixtures``)."""

from __future__ import annotations

from tests.support.jwt_fixtures import *  # noqa: F403
