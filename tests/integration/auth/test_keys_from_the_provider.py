"""Keys from the identity provider, against a real OpenID provider over https: found by
discovery or at a JWKS URL, chosen by kid, rotated without a restart, refetched at most
once per interval for unknown kids, and a provider down at start only delays tokens."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shared.auth_settings import AuthSettings
from shared.http.jwks import check_identity_provider
from shared.links.problems import LinkMisconfigured
from tests.integration.auth.apps import users_client
from tests.integration.auth.checks import unauthorized
from tests.support.claims import AUDIENCE
from tests.support.jwt_keys import bearer
from tests.support.polling import eventually
from tests.support.secured.certs import Certificates
from tests.support.secured.oidc_provider import RunningProvider, SigningKey, new_key

USER = str(uuid4())
PATH = f"/users/{USER}"
ADMIN = ["eda:admin"]  # authenticated callers read any user: 404, not 403
UNKNOWN_KID = "the token's signing key (kid) is not one of the issuer's keys"


def provider_settings(oidc: RunningProvider, certs: Certificates, **changes: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "issuer": oidc.provider.issuer,
        "audience": AUDIENCE,
        "discovery": True,
        "ca_file": certs.ca,
    }
    return AuthSettings(**(values | changes))


def forged(oidc: RunningProvider, kid: str | None = None) -> str:
    """Signed by a key the provider never published, under a kid it does not know."""
    stranger = SigningKey(kid or f"forged-{secrets.token_hex(4)}", new_key().private)
    return oidc.provider.token(USER, ADMIN, key=stranger)


async def status(users: httpx.AsyncClient, token: str) -> int:
    return (await users.get(PATH, headers=bearer(token))).status_code


@pytest.mark.mysql
async def test_keys_are_discovered_from_the_issuer_and_chosen_by_kid(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    provider = oidc.provider
    second = provider.add_key()
    async with users_client(provider_settings(oidc, tls_certs)) as users:
        assert (provider.discovery_requests, provider.jwks_requests) == (1, 1)
        for key in provider.keys:
            assert await status(users, provider.token(USER, ADMIN, key=key)) == 404  # authenticated
        # A token naming one published key but signed by another does not verify.
        swapped = SigningKey(second.kid, provider.keys[1].private)
        refused = await users.get(PATH, headers=bearer(provider.token(USER, ADMIN, key=swapped)))
        assert unauthorized(refused) == "the token's signature does not verify"
    assert provider.jwks_requests == 1  # every key was in the set fetched at start


@pytest.mark.mysql
async def test_a_jwks_url_needs_no_discovery(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    provider = oidc.provider
    settings = provider_settings(oidc, tls_certs, discovery=False, jwks_url=provider.jwks_url)
    async with users_client(settings) as users:
        assert await status(users, provider.token(USER, ADMIN)) == 404
    assert (provider.discovery_requests, provider.jwks_requests) == (0, 1)


@pytest.mark.mysql
async def test_a_rotation_needs_no_restart(oidc: RunningProvider, tls_certs: Certificates) -> None:
    provider = oidc.provider
    old = provider.keys[0]
    settings = provider_settings(oidc, tls_certs, jwks_refresh_s=1)
    async with users_client(settings) as users:
        assert await status(users, provider.token(USER, ADMIN, key=old)) == 404
        new = provider.add_key()
        # The first token signed with the new key fetches it.
        assert await status(users, provider.token(USER, ADMIN, key=new)) == 404
        assert provider.jwks_requests == 2
        provider.remove_key(old.kid)
        old_token = provider.token(USER, ADMIN, key=old)

        async def old_key_refused() -> bool:
            # A known kid older than jwks_refresh_s refreshes the set in the background.
            return await status(users, old_token) == 401

        await eventually(old_key_refused, timeout=15, interval=0.2, what="old key refused")
        refused = await users.get(PATH, headers=bearer(old_token))
        assert unauthorized(refused) == UNKNOWN_KID
        assert await status(users, provider.token(USER, ADMIN, key=new)) == 404


@pytest.mark.mysql
async def test_unknown_kids_cost_the_provider_one_fetch_per_interval(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    provider = oidc.provider
    async with users_client(provider_settings(oidc, tls_certs)) as users:
        assert provider.jwks_requests == 1
        new = provider.add_key()
        tokens = [forged(oidc) for _ in range(10)] + [provider.token(USER, ADMIN, key=new)] * 5
        answers = await asyncio.gather(*(status(users, token) for token in tokens))
        assert answers == [401] * 10 + [404] * 5
        assert provider.jwks_requests == 2  # one refetch, shared by every request
        # Within the interval (30 s by default), more unknown kids fetch nothing.
        for _ in range(10):
            refused = await users.get(PATH, headers=bearer(forged(oidc)))
            assert unauthorized(refused) == UNKNOWN_KID
        assert provider.jwks_requests == 2


@pytest.mark.mysql
async def test_a_token_claiming_another_issuer_fetches_nothing(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    provider = oidc.provider
    async with users_client(provider_settings(oidc, tls_certs)) as users:
        stranger = SigningKey("forged", new_key().private)
        token = provider.token(USER, ADMIN, key=stranger, iss="https://elsewhere.example.test/")
        assert await status(users, token) == 401
        assert provider.jwks_requests == 1


@pytest.mark.mysql
async def test_a_provider_down_at_start_delays_tokens_and_is_retried(
    oidc: RunningProvider, tls_certs: Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    provider = oidc.provider
    await oidc.stop_listening()
    token = provider.token(USER, ADMIN)
    with caplog.at_level(logging.WARNING, logger="shared.http.jwks"):
        async with users_client(provider_settings(oidc, tls_certs)) as users:
            waiting = await users.get(PATH, headers=bearer(token))
            assert waiting.status_code == 503
            assert waiting.headers["retry-after"] == "5"
            assert waiting.json() == {
                "detail": "the identity provider's signing keys are not available yet"
            }
            await oidc.listen()

            async def accepted() -> bool:
                return await status(users, token) == 404

            await eventually(accepted, timeout=30, interval=0.2, what="token accepted")
    assert "could not be fetched" in caplog.text
    assert token not in caplog.text


@pytest.mark.mysql
async def test_a_provider_failing_then_recovering_is_retried(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    provider = oidc.provider
    provider.fail()
    token = provider.token(USER, ADMIN)
    async with users_client(provider_settings(oidc, tls_certs)) as users:
        assert await status(users, token) == 503
        provider.recover()

        async def accepted() -> bool:
            return await status(users, token) == 404

        await eventually(accepted, timeout=30, interval=0.2, what="token accepted")


@pytest.mark.mysql
@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"keys": []}, "the JWKS holds no signing key with a kid for RS256"),
        ({"issuer": "x"}, "the answer is not a JWKS (no 'keys' list)"),
        ([1, 2], "the answer is not a JWKS (no 'keys' list)"),
    ],
)
async def test_a_provider_answering_no_usable_keys_stops_the_start(
    oidc: RunningProvider, tls_certs: Certificates, answer: object, problem: str
) -> None:
    oidc.provider.jwks_override = answer
    settings = provider_settings(oidc, tls_certs)
    with pytest.raises(LinkMisconfigured) as raised:
        await check_identity_provider(settings)
    assert problem in str(raised.value)
    assert str(raised.value).startswith("identity provider at https://localhost:")
    with pytest.raises(LinkMisconfigured):
        async with users_client(settings):
            pass


@pytest.mark.mysql
async def test_only_keys_of_an_accepted_algorithm_are_used(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    provider = oidc.provider
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    rsa_jwks = [key.jwk() for key in provider.keys]
    provider.jwks_override = {
        "keys": [*rsa_jwks, ec_jwk | {"kid": "ec-1", "use": "sig", "alg": "ES256"}]
    }
    async with users_client(provider_settings(oidc, tls_certs)) as users:
        ec_token = jwt.encode(
            {"iss": provider.issuer, "sub": USER, "aud": AUDIENCE, "iat": 0, "exp": 1},
            ec_key,
            algorithm="ES256",
            headers={"kid": "ec-1", "typ": "at+jwt"},
        )
        refused = await users.get(PATH, headers=bearer(ec_token))
        assert unauthorized(refused) == "the token's algorithm is not accepted"
        # An RS256 header under the EC key's kid: the key is not in the set at all.
        refused = await users.get(PATH, headers=bearer(forged(oidc, kid="ec-1")))
        assert unauthorized(refused) == UNKNOWN_KID


async def test_a_certificate_the_ca_file_does_not_sign_stops_the_start(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    settings = provider_settings(oidc, tls_certs, ca_file=tls_certs.other_ca)
    with pytest.raises(LinkMisconfigured) as raised:
        await check_identity_provider(settings)
    assert "its certificate does not verify" in str(raised.value)
    assert "check EDA_AUTH__CA_FILE" in str(raised.value)


async def test_a_discovery_document_for_another_issuer_stops_the_start(
    oidc: RunningProvider, tls_certs: Certificates
) -> None:
    issuer = oidc.provider.issuer
    settings = provider_settings(oidc, tls_certs, issuer=issuer + "/")
    with pytest.raises(LinkMisconfigured) as raised:
        await check_identity_provider(settings)
    assert f"names the issuer '{issuer}', not '{issuer}/'" in str(raised.value)
    assert "check EDA_AUTH__ISSUER" in str(raised.value)
