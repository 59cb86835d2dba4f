"""The test run's RSA key pair and the issuer minting tokens with it, as session fixtures.
A conftest imports them: ``from tests.support.jwt_fixtures import *``."""

from __future__ import annotations

import pytest

from tests.support.jwt_keys import Issuer, KeyPair, rsa_pair

__all__ = ["issuer", "rsa_keys"]


@pytest.fixture(scope="session")
def rsa_keys() -> KeyPair:
    return rsa_pair()


@pytest.fixture(scope="session")
def issuer(rsa_keys: KeyPair) -> Issuer:
    return Issuer(rsa_keys)
