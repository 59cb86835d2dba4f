"""ProviderKeys on a fake clock and a fake provider: an unknown kid refetches at most
once per interval, concurrent requests share one fetch, a stale set is refreshed in the
background, and a failed refresh keeps the keys in hand."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth_settings import AuthSettings
from shared.http.jwks import KeysUnavailableError, ProviderKeys, UnknownKeyError
from tests.support.polling import eventually

JWKS_URL = "https://idp.example.test/keys"


def _jwk(kid: str) -> dict[str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return public | {"kid": kid, "use": "sig"}


class FakeProvider:
    def __init__(self, *kids: str) -> None:
        self.keys = [_jwk(kid) for kid in kids]
        self.requests = 0
        self.down = False
        self.gate: asyncio.Event | None = None
        self.fetching = asyncio.Event()

    async def fetch(self, url: str) -> Any:
        assert url == JWKS_URL
        self.requests += 1
        self.fetching.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise KeysUnavailableError("idp.example.test could not be reached")
        return {"keys": list(self.keys)}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def provider_keys(provider: FakeProvider, clock: Clock, **changes: Any) -> ProviderKeys:
    settings = AuthSettings(
        enabled=True,
        issuer="https://idp.example.test/",
        audience="eda-api",
        jwks_url=JWKS_URL,
        **changes,
    )
    return ProviderKeys(settings, fetch=provider.fetch, clock=clock)


async def test_an_unknown_kid_refetches_at_most_once_per_interval() -> None:
    provider, clock = FakeProvider("k1"), Clock()
    keys = provider_keys(provider, clock, jwks_refetch_min_s=30)
    await keys.start()
    assert provider.requests == 1
    with pytest.raises(UnknownKeyError):
        await keys.key("forged-1", may_refetch=True)
    assert provider.requests == 2
    for n in range(5):
        clock.now += 5
        with pytest.raises(UnknownKeyError):
            await keys.key(f"forged-{n}", may_refetch=True)
    assert provider.requests == 2
    clock.now += 6  # 31 s after the refetch
    provider.keys.append(_jwk("k2"))
    assert (await keys.key("k2", may_refetch=True)).key_id == "k2"
    assert provider.requests == 3


async def test_a_token_not_claiming_our_issuer_never_refetches() -> None:
    provider, clock = FakeProvider("k1"), Clock()
    keys = provider_keys(provider, clock)
    await keys.start()
    with pytest.raises(UnknownKeyError):
        await keys.key("k2", may_refetch=False)
    assert provider.requests == 1


async def test_concurrent_unknown_kids_share_one_fetch() -> None:
    provider, clock = FakeProvider("k1"), Clock()
    keys = provider_keys(provider, clock)
    await keys.start()
    provider.keys.append(_jwk("k2"))
    provider.gate, provider.fetching = asyncio.Event(), asyncio.Event()
    waiting = [asyncio.create_task(keys.key("k2", may_refetch=True)) for _ in range(20)]
    # The twenty tasks were queued before this wait: the first to run starts the fetch,
    # and this test wakes only after the other nineteen have run up to their wait.
    await asyncio.wait_for(provider.fetching.wait(), timeout=5)
    assert not any(task.done() for task in waiting)
    provider.gate.set()
    found = await asyncio.gather(*waiting)
    assert {key.key_id for key in found} == {"k2"}
    assert provider.requests == 2


async def test_a_removed_key_is_refused_after_the_periodic_refresh() -> None:
    provider, clock = FakeProvider("old", "new"), Clock()
    keys = provider_keys(provider, clock, jwks_refresh_s=300)
    await keys.start()
    provider.keys = [key for key in provider.keys if key["kid"] != "old"]
    clock.now += 299
    await keys.key("old", may_refetch=True)
    assert provider.requests == 1  # not stale yet
    clock.now += 2
    await keys.key("old", may_refetch=True)  # stale: served, and refreshed behind
    await eventually(lambda: keys.kids == {"new"}, timeout=5, what="the refreshed key set")
    assert provider.requests == 2
    clock.now += 1
    with pytest.raises(UnknownKeyError):
        await keys.key("old", may_refetch=True)


async def test_a_failed_refresh_keeps_the_keys_in_hand() -> None:
    provider, clock = FakeProvider("k1"), Clock()
    keys = provider_keys(provider, clock, jwks_refresh_s=1)
    await keys.start()
    provider.down = True
    clock.now += 10
    assert (await keys.key("k1", may_refetch=True)).key_id == "k1"
    # The background refresh fails as it starts: the provider counts it before raising.
    await eventually(lambda: provider.requests == 2, timeout=5, what="a failed refresh")
    assert (await keys.key("k1", may_refetch=True)).key_id == "k1"
    await keys.stop()


async def test_no_keys_yet_is_unavailable_not_unknown() -> None:
    provider, clock = FakeProvider("k1"), Clock()
    provider.down = True
    keys = provider_keys(provider, clock)
    await keys.start()  # logged, retried in the background
    with pytest.raises(KeysUnavailableError):
        await keys.key("k1", may_refetch=True)
    await keys.stop()


async def test_tries_during_an_outage_do_not_hold_back_the_next_new_key() -> None:
    provider, clock = FakeProvider("k1"), Clock()
    provider.down = True
    keys = provider_keys(provider, clock, jwks_refetch_min_s=30)
    await keys.start()
    with pytest.raises(KeysUnavailableError):
        await keys.key("k1", may_refetch=True)  # a request's try, while down
    provider.down = False
    clock.now += 1
    await keys.refresh()  # the background retry succeeds
    provider.keys.append(_jwk("k2"))
    clock.now += 1
    assert (await keys.key("k2", may_refetch=True)).key_id == "k2"
    await keys.stop()
