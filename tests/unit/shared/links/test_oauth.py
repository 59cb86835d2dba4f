"""The OAUTHBEARER token provider's cache: one fetch serves every connection until 80 %
of the token's lifetime, a renewal that fails keeps a token that is still valid."""

from __future__ import annotations

import asyncio

import pytest

from shared.links.oauth import (
    ClientCredentials,
    ClientCredentialsTokens,
    Token,
    TokenEndpointUnavailable,
)

CREDENTIALS = ClientCredentials("https://id.example.com/token", "eda", "s3cret")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Endpoint:
    def __init__(self, lifetime_s: float = 100) -> None:
        self.lifetime_s = lifetime_s
        self.fetched = 0
        self.down = False

    async def __call__(self, credentials: ClientCredentials) -> Token:
        await asyncio.sleep(0)  # a real fetch suspends: the other callers reach the lock
        if self.down:
            raise TokenEndpointUnavailable("down")
        self.fetched += 1
        return Token(f"token-{self.fetched}", self.lifetime_s)


async def test_concurrent_connections_share_one_fetch() -> None:
    endpoint = Endpoint()
    tokens = ClientCredentialsTokens(CREDENTIALS, fetch=endpoint, clock=Clock())
    got = await asyncio.gather(*(tokens.token() for _ in range(5)))
    assert got == ["token-1"] * 5
    assert endpoint.fetched == 1


async def test_a_token_is_renewed_after_80_percent_of_its_lifetime() -> None:
    endpoint, clock = Endpoint(lifetime_s=100), Clock()
    tokens = ClientCredentialsTokens(CREDENTIALS, fetch=endpoint, clock=clock)
    assert await tokens.token() == "token-1"
    clock.now += 79
    assert await tokens.token() == "token-1"
    clock.now += 2
    assert await tokens.token() == "token-2"


async def test_a_failed_renewal_keeps_a_valid_token_and_not_an_expired_one() -> None:
    endpoint, clock = Endpoint(lifetime_s=100), Clock()
    tokens = ClientCredentialsTokens(CREDENTIALS, fetch=endpoint, clock=clock)
    await tokens.token()
    endpoint.down = True
    clock.now += 90
    assert await tokens.token() == "token-1"
    clock.now += 11
    with pytest.raises(TokenEndpointUnavailable):
        await tokens.token()
