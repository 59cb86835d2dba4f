"""The Kafka link for real, through the production paths: ``KafkaPublisher`` and a
consumer from ``create_consumer`` over TLS and mutual TLS, and ``start_kafka_client``
telling a misconfigured link (LinkMisconfigured: one line naming the setting) from an
unreachable broker (the library's own error: retried)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from eda_local.tansu import free_port
from shared.envelope import Envelope
from shared.events import Event
from shared.links import LinkMisconfigured
from shared.messaging import Handler, Subscription, create_consumer
from shared.messaging.kafka import KafkaPublisher
from shared.settings import BrokerKind, KafkaSettings, Settings
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.support.consumers import running
from tests.support.polling import eventually
from tests.support.secured.kafka import SecuredKafka, start_failure

MESSAGES = 3
SASL_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512"]


def kafka_settings(bootstrap: str, **security: Any) -> KafkaSettings:
    """Settings as a deployment gives them, sized for a private Tansu: no idempotent
    producer, short fetch waits and group sessions, one partition, a unique prefix."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "topic_prefix": f"sec{uuid.uuid4().hex[:10]}.",
        "partitions": 1,
        "idempotent_producer": False,
        "fetch_max_wait_ms": 10,
        "session_timeout_ms": 6000,
        "request_timeout_ms": 5000,
    }
    return KafkaSettings(**{**options, **security})


def platform(kafka: KafkaSettings) -> Settings:
    return Settings(
        source="urn:eda:secured-link-tests",
        default_broker=BrokerKind.KAFKA,
        routes={},
        kafka=kafka,
        retry={"max_attempts": 2, "initial_backoff_s": 0.01, "max_backoff_s": 0.05},
    )


def tls(kafka: SecuredKafka, **more: Any) -> KafkaSettings:
    return kafka_settings(
        kafka.bootstrap, security_protocol="SSL", ssl_cafile=kafka.certs.ca, **more
    )


def collecting(seen: list[Envelope]) -> Handler:
    async def handle(event: Event, envelope: Envelope) -> None:
        seen.append(envelope)

    return handle


@asynccontextmanager
async def started_publisher(settings: KafkaSettings) -> AsyncIterator[KafkaPublisher]:
    publisher = KafkaPublisher(settings)
    try:
        await publisher.start()
        yield publisher
    finally:
        await publisher.close()


async def published_and_consumed(kafka: KafkaSettings) -> None:
    """A subscriber's consumer (its group joined over the link) receives, intact, what
    the publisher sent over the same link."""
    settings = platform(kafka)
    seen: list[Envelope] = []
    subscription = Subscription(f"secured-{uuid.uuid4().hex[:10]}", EVENT_TYPE)
    sent = [order_confirmed() for _ in range(MESSAGES)]
    async with running(create_consumer(settings, subscription, collecting(seen))):
        async with started_publisher(kafka) as publisher:
            await publisher.publish_many(sent)
        await eventually(
            lambda: len(seen) >= MESSAGES,
            timeout=30,
            what=lambda: f"{MESSAGES} events consumed over {kafka.security_protocol}, got {seen}",
        )
    assert sorted(envelope.id for envelope in seen) == sorted(envelope.id for envelope in sent)
    assert {envelope.id: envelope.event() for envelope in seen} == {
        envelope.id: envelope.event() for envelope in sent
    }


async def misconfiguration(settings: KafkaSettings) -> str:
    failure = await start_failure(settings)
    assert isinstance(failure, LinkMisconfigured), repr(failure)
    message = str(failure)
    assert message.startswith(f"Kafka at {settings.bootstrap_servers}: "), message
    assert "\n" not in message
    return message


# Publishing and consuming


async def test_kafka_over_tls_publishes_and_consumes(kafka_tls: SecuredKafka) -> None:
    await published_and_consumed(tls(kafka_tls))


async def test_kafka_over_mutual_tls_publishes_and_consumes_with_the_client_certificate(
    kafka_mtls: SecuredKafka,
) -> None:
    certs = kafka_mtls.certs
    await published_and_consumed(
        tls(kafka_mtls, ssl_certfile=certs.client_cert, ssl_keyfile=certs.client_key)
    )


# Misconfigured links: LinkMisconfigured, naming the setting


async def test_mutual_tls_without_a_client_certificate_names_the_certificate_setting(
    kafka_mtls: SecuredKafka,
) -> None:
    message = await misconfiguration(tls(kafka_mtls))
    assert "requires a client certificate" in message
    assert "EDA_KAFKA__SSL_CERTFILE" in message


async def test_mutual_tls_with_a_certificate_of_another_ca_is_refused(
    kafka_mtls: SecuredKafka,
) -> None:
    certs = kafka_mtls.certs
    message = await misconfiguration(
        tls(kafka_mtls, ssl_certfile=certs.other_client_cert, ssl_keyfile=certs.other_client_key)
    )
    assert "refused the client certificate" in message
    assert "EDA_KAFKA__SSL_CERTFILE" in message


async def test_a_broker_certificate_of_another_ca_does_not_verify(
    kafka_tls: SecuredKafka,
) -> None:
    message = await misconfiguration(
        kafka_settings(
            kafka_tls.bootstrap, security_protocol="SSL", ssl_cafile=kafka_tls.certs.other_ca
        )
    )
    assert "does not verify" in message
    assert "EDA_KAFKA__SSL_CAFILE" in message


async def test_plaintext_to_the_tls_port_names_the_security_protocol(
    kafka_tls: SecuredKafka,
) -> None:
    message = await misconfiguration(
        kafka_settings(kafka_tls.bootstrap, security_protocol="PLAINTEXT")
    )
    assert "speaks TLS" in message
    assert "EDA_KAFKA__SECURITY_PROTOCOL" in message


async def test_tls_to_a_plaintext_broker_says_it_does_not_speak_tls(
    kafka_bootstrap: str, kafka_tls: SecuredKafka
) -> None:
    message = await misconfiguration(
        kafka_settings(
            kafka_bootstrap,
            security_protocol="SSL",
            ssl_cafile=kafka_tls.certs.ca,
            request_timeout_ms=1000,
        )
    )
    # Tansu reads the ClientHello as the length of a request and waits for the rest:
    # no TLS alert, no reset, only silence.
    assert "speak TLS" in message
    assert "EDA_KAFKA__SECURITY_PROTOCOL" in message


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL"])
async def test_an_unreachable_broker_is_not_a_misconfiguration(
    protocol: str, tls_certs: Any
) -> None:
    """Nothing listens: the library's own error, which the relay and consumers retry."""
    security: dict[str, Any] = {"security_protocol": protocol}
    if protocol == "SSL":
        security["ssl_cafile"] = tls_certs.ca
    failure = await start_failure(kafka_settings(f"127.0.0.1:{free_port()}", **security))
    assert not isinstance(failure, LinkMisconfigured), failure
    assert "Unable to bootstrap" in str(failure)


# SASL (Tansu --authentication: SCRAM-SHA-256 and -512 offered, no user exists)


def scram(kafka: SecuredKafka, mechanism: str, password: str) -> KafkaSettings:
    security: dict[str, Any] = {
        "security_protocol": "SASL_SSL" if kafka.tls else "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_username": f"nobody-{uuid.uuid4().hex[:6]}",
        "sasl_password": password,
    }
    if kafka.tls:
        security["ssl_cafile"] = kafka.certs.ca
    return kafka_settings(kafka.bootstrap, **security)


async def refused_scram(kafka: SecuredKafka, mechanism: str) -> None:
    password = f"made-up-{uuid.uuid4().hex}"
    message = await misconfiguration(scram(kafka, mechanism, password))
    assert f"refused the SASL {mechanism} credentials" in message
    assert "EDA_KAFKA__SASL_USERNAME" in message
    assert "EDA_KAFKA__SASL_PASSWORD" in message
    assert password not in message


@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
async def test_refused_scram_credentials_name_the_user_and_password_settings(
    kafka_sasl: SecuredKafka, mechanism: str
) -> None:
    # aiokafka itself raises KeyError('v') here: the product translates it.
    await refused_scram(kafka_sasl, mechanism)


@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
async def test_refused_scram_credentials_over_tls_name_the_user_and_password_settings(
    kafka_sasl_tls: SecuredKafka, mechanism: str
) -> None:
    await refused_scram(kafka_sasl_tls, mechanism)


async def test_the_publisher_start_raises_the_refused_credentials(
    kafka_sasl: SecuredKafka,
) -> None:
    """KafkaPublisher.start (what the relay runs) gives the same LinkMisconfigured."""
    password = f"made-up-{uuid.uuid4().hex}"
    publisher = KafkaPublisher(scram(kafka_sasl, "SCRAM-SHA-512", password))
    try:
        with pytest.raises(LinkMisconfigured, match="refused the SASL SCRAM-SHA-512") as refused:
            await publisher.start()
    finally:
        await publisher.close()
    assert password not in str(refused.value)
