"""Every supported algorithm verifies its own tokens and refuses the others', and the key
may come from a mounted file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from tests.integration.auth.apps import users_client
from tests.integration.auth.checks import unauthorized
from tests.support.jwt_keys import (
    Issuer,
    KeyPair,
    auth_settings,
    ec_pair,
    ed25519_pair,
    hs256_secret,
)

USER = str(uuid4())
ADMIN = ["eda:admin"]  # may read any user: an unknown one is 404, not 403


@pytest.mark.mysql
@pytest.mark.parametrize("make_pair", [ec_pair, ed25519_pair, hs256_secret])
async def test_each_algorithm_accepts_its_tokens_and_refuses_other_algorithms(
    make_pair: Callable[[], KeyPair], rsa_keys: KeyPair
) -> None:
    pair = make_pair()
    async with users_client(auth_settings(pair)) as users:
        accepted = await users.get(f"/users/{USER}", headers=Issuer(pair).headers(USER, ADMIN))
        assert accepted.status_code == 404  # authenticated; no such user

        other_algorithm = Issuer(rsa_keys).headers(USER)
        refused = await users.get(f"/users/{USER}", headers=other_algorithm)
        assert unauthorized(refused) == "the token's algorithm is not accepted"
        other_key = Issuer(make_pair()).headers(USER)
        refused = await users.get(f"/users/{USER}", headers=other_key)
        assert unauthorized(refused) == "the token's signature does not verify"


@pytest.mark.mysql
async def test_the_key_can_be_read_from_a_mounted_file(tmp_path: Path, rsa_keys: KeyPair) -> None:
    key_file = tmp_path / "jwt.pem"
    key_file.write_text(rsa_keys.verification_key + "\n")
    settings = auth_settings(rsa_keys, key=None, key_file=key_file)
    async with users_client(settings) as users:
        accepted = await users.get(f"/users/{USER}", headers=Issuer(rsa_keys).headers(USER, ADMIN))
        assert accepted.status_code == 404


def test_issuer_and_audience_are_required(rsa_keys: KeyPair) -> None:
    for missing in ({"issuer": None}, {"audience": None}, {"issuer": " ", "audience": ""}):
        with pytest.raises(ValidationError) as raised:
            auth_settings(rsa_keys, **missing)
        for name, value in missing.items():
            assert name in {error["loc"][0] for error in raised.value.errors()}, value
