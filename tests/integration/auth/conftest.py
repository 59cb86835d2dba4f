"""Auth on with an RSA key, issuer and audience: both services' clients and the issuer
that mints their tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.auth.apps import orders_client, users_client
from tests.support.jwt_fixtures import *  # noqa: F403  (rsa_keys, issuer)
from tests.support.jwt_keys import KeyPair, auth_settings


@pytest.fixture
async def users(rsa_keys: KeyPair) -> AsyncIterator[httpx.AsyncClient]:
    async with users_client(auth_settings(rsa_keys)) as client:
        yield client


@pytest.fixture
async def orders(rsa_keys: KeyPair) -> AsyncIterator[httpx.AsyncClient]:
    async with orders_client(auth_settings(rsa_keys)) as client:
        yield client
