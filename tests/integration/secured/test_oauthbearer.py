"""OAUTHBEARER tokens for Kafka from a real client-credentials token endpoint (HTTP on
127.0.0.1): fetched with the client's credentials, cached, renewed before they expire,
kept while a renewal fails, a refused client told apart from a failing endpoint; and
an aiokafka client configured by ``kafka_client_options`` presenting the token to a
SASL broker."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest

from eda_local.tansu import free_port
from shared.links import LinkMisconfigured
from shared.links.oauth import (
    ClientCredentials,
    ClientCredentialsTokens,
    TokenEndpointUnavailable,
    fetch_token,
)
from shared.settings import KafkaSettings
from tests.support.polling import eventually
from tests.support.secured.kafka import SecuredKafka, start_failure
from tests.support.secured.token_endpoint import TokenEndpoint

SCOPE = "events:write"
SETTINGS = "EDA_KAFKA__SASL_OAUTHBEARER_CLIENT_ID"


def credentials(endpoint: TokenEndpoint, *, secret: str | None = None) -> ClientCredentials:
    return ClientCredentials(
        token_endpoint_url=endpoint.url,
        client_id=endpoint.client_id,
        client_secret=endpoint.client_secret if secret is None else secret,
        scope=SCOPE,
    )


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


class Clock:
    """The provider's clock, moved by the test; fetches stay real."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def first_token_on_a_moved_clock(
    token_endpoint: TokenEndpoint, lifetime_s: int
) -> tuple[ClientCredentialsTokens, Clock, str]:
    """A provider on a clock the test moves, and the first token it fetched, living
    ``lifetime_s``."""
    token_endpoint.expires_in = lifetime_s
    clock = Clock()
    provider = ClientCredentialsTokens(credentials(token_endpoint), clock=clock)
    return provider, clock, await provider.token()


def assert_names_the_client_settings(message: str, secret: str) -> None:
    assert SETTINGS in message
    assert "_CLIENT_SECRET" in message
    assert secret not in message
    assert "\n" not in message


async def test_a_token_is_fetched_with_the_client_credentials(
    token_endpoint: TokenEndpoint,
) -> None:
    token = await fetch_token(credentials(token_endpoint))

    assert [issued.access_token for issued in token_endpoint.issued] == [token.value]
    assert token.lifetime_s == token_endpoint.expires_in
    (request,) = token_endpoint.requests
    assert request.grant_type == "client_credentials"
    assert request.client_id == token_endpoint.client_id
    assert request.client_secret == token_endpoint.client_secret
    assert request.basic_auth  # client_secret_basic, not the secret in the form
    assert request.scope == SCOPE
    assert request.status == 200
    assert claims(token.value)["scope"] == SCOPE


async def test_the_provider_caches_its_token(token_endpoint: TokenEndpoint) -> None:
    provider = ClientCredentialsTokens(credentials(token_endpoint))
    first = await provider.token()
    second = await provider.token()

    assert first == second
    assert token_endpoint.fetches == 1
    assert provider.fetches == 1


async def test_the_provider_renews_before_the_token_expires(
    token_endpoint: TokenEndpoint,
) -> None:
    """Wall-clock time: a 2 s token is replaced while it is still valid."""
    token_endpoint.expires_in = 2
    provider = ClientCredentialsTokens(credentials(token_endpoint))
    first = await provider.token()
    tokens = [first]

    async def renewed() -> bool:
        tokens.append(await provider.token())
        return token_endpoint.fetches >= 2

    await eventually(renewed, timeout=10, interval=0.05, what="a second token fetched")
    first_expires_at = token_endpoint.issued[0].expires_at
    renewal = [request for request in token_endpoint.requests if request.status == 200][1]
    assert renewal.at < first_expires_at, "renewed only once the first token had expired"
    assert tokens[-1] != first
    assert tokens[-1] == token_endpoint.issued[1].access_token


async def test_the_renewal_happens_at_80_percent_of_the_lifetime(
    token_endpoint: TokenEndpoint,
) -> None:
    """The provider's clock moved by hand, the endpoint real."""
    provider, clock, first = await first_token_on_a_moved_clock(token_endpoint, lifetime_s=100)
    clock.now += 79
    assert await provider.token() == first
    assert token_endpoint.fetches == 1
    clock.now += 2  # 81 % of the lifetime
    renewed = await provider.token()
    assert renewed != first
    assert token_endpoint.fetches == 2


async def test_a_refused_client_names_the_client_settings_without_the_secret(
    token_endpoint: TokenEndpoint,
) -> None:
    token_endpoint.refuse()
    with pytest.raises(LinkMisconfigured) as refused:
        await fetch_token(credentials(token_endpoint))
    assert_names_the_client_settings(str(refused.value), token_endpoint.client_secret)
    assert "HTTP 401" in str(refused.value)

    token_endpoint.recover()
    wrong = f"made-up-{uuid.uuid4().hex}"
    with pytest.raises(LinkMisconfigured) as mismatched:
        await ClientCredentialsTokens(credentials(token_endpoint, secret=wrong)).token()
    assert_names_the_client_settings(str(mismatched.value), wrong)


async def test_a_failing_or_unreachable_endpoint_is_transient(
    token_endpoint: TokenEndpoint,
) -> None:
    token_endpoint.fail()
    with pytest.raises(TokenEndpointUnavailable) as failed:
        await fetch_token(credentials(token_endpoint))
    assert not isinstance(failed.value, LinkMisconfigured)
    assert isinstance(failed.value, ConnectionError)  # retried like a broker outage
    assert "HTTP 500" in str(failed.value)

    nowhere = ClientCredentials(
        f"http://127.0.0.1:{free_port()}/token", "eda-service", "made-up", SCOPE
    )
    with pytest.raises(TokenEndpointUnavailable):
        await fetch_token(nowhere)


async def test_a_valid_token_is_kept_while_its_renewal_fails(
    token_endpoint: TokenEndpoint,
) -> None:
    provider, clock, first = await first_token_on_a_moved_clock(token_endpoint, lifetime_s=100)

    token_endpoint.fail()
    clock.now += 90  # due for renewal, not expired
    assert await provider.token() == first
    assert [request.status for request in token_endpoint.requests] == [200, 500]

    clock.now += 11  # expired: nothing valid left to give
    with pytest.raises(TokenEndpointUnavailable):
        await provider.token()

    token_endpoint.recover()
    assert await provider.token() == token_endpoint.issued[-1].access_token
    assert token_endpoint.fetches == 2


# Through aiokafka, against a SASL broker


def oauthbearer(kafka: SecuredKafka, endpoint: TokenEndpoint) -> KafkaSettings:
    security: dict[str, Any] = {
        "security_protocol": "SASL_SSL" if kafka.tls else "SASL_PLAINTEXT",
        "sasl_mechanism": "OAUTHBEARER",
        "sasl_oauthbearer_token_endpoint_url": endpoint.url,
        "sasl_oauthbearer_client_id": endpoint.client_id,
        "sasl_oauthbearer_client_secret": endpoint.client_secret,
        "sasl_oauthbearer_scope": SCOPE,
    }
    if kafka.tls:
        security["ssl_cafile"] = kafka.certs.ca
    return KafkaSettings(bootstrap_servers=kafka.bootstrap, request_timeout_ms=5000, **security)


async def test_an_oauthbearer_client_presents_its_token_to_the_sasl_broker(
    kafka_sasl: SecuredKafka, token_endpoint: TokenEndpoint
) -> None:
    """Tansu --authentication offers OAUTHBEARER in the handshake, then refuses the
    endpoint's unsigned token (SaslAuthenticate error 58): the token was fetched with
    the client credentials and sent; the product reports a refused token."""
    started = time.monotonic()
    failure = await start_failure(oauthbearer(kafka_sasl, token_endpoint))

    assert isinstance(failure, LinkMisconfigured), repr(failure)
    message = str(failure)
    assert message.startswith(f"Kafka at {kafka_sasl.bootstrap}: ")
    # The endpoint accepted the client: the broker refused its token, and says so.
    assert "refused the OAUTHBEARER token from the token endpoint" in message
    assert "EDA_KAFKA__SASL_OAUTHBEARER_SCOPE" in message
    assert token_endpoint.client_secret not in message
    assert token_endpoint.fetches >= 1
    assert all(request.basic_auth for request in token_endpoint.requests)
    assert all(request.scope == SCOPE for request in token_endpoint.requests)
    assert time.monotonic() - started < 30


async def test_oauthbearer_to_a_broker_without_sasl_names_the_mechanism_setting(
    kafka_tls: SecuredKafka, token_endpoint: TokenEndpoint
) -> None:
    """A TLS broker without authentication answers the SASL handshake with
    UnsupportedSaslMechanism: 'does not offer SASL OAUTHBEARER'."""
    message = str(await start_failure(oauthbearer(kafka_tls, token_endpoint)))

    assert message.startswith(f"Kafka at {kafka_tls.bootstrap}: "), message
    assert "does not offer SASL OAUTHBEARER" in message
    assert "EDA_KAFKA__SASL_MECHANISM" in message
    assert token_endpoint.client_secret not in message
