"""Auth on with an RSA key, issuer and audience: both services' clients and the issuer
that mints their tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.auth.apps import orders_client, users_client
from tests.integration.auth.keys import Issuer, KeyPair, auth_settings, rsa_pair


@pytest.fixture(scope="session")
def rsa_keys() -> KeyPair:
    return rsa_pair()


@pytest.fixture(scope="session")
def issuer(rsa_keys: KeyPair) -> Issuer:
    return Issuer(rsa_keys)


@pytest.fixture
async def users(rsa_keys: KeyPair) -> AsyncIterator[httpx.AsyncClient]:
    async with users_client(auth_settings(rsa_keys)) as client:
        yield client


@pytest.fixture
async def orders(rsa_keys: KeyPair) -> AsyncIterator[httpx.AsyncClient]:
    async with orders_client(auth_settings(rsa_keys)) as client:
        yield client
