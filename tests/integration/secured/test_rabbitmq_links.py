"""The RabbitMQ link for real: ``RabbitMQPublisher`` and a consumer from
``create_consumer`` over amqps with a private CA (``EDA_RABBITMQ__SSL_CAFILE``), and
connections that cannot work raising LinkMisconfigured naming the setting, never the
password."""

from __future__ import annotations

import uuid

from aio_pika.exceptions import AMQPConnectionError

from shared.envelope import Envelope
from shared.events import Event
from shared.links import LinkMisconfigured, connect_rabbitmq, connect_rabbitmq_robust
from shared.messaging import Handler, Subscription, create_consumer
from shared.messaging.rabbitmq import RabbitMQPublisher
from shared.settings import BrokerKind, RabbitMQSettings, Settings
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.support.consumers import running
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology
from tests.support.secured.rabbitmq import SecuredRabbitMQ

MESSAGES = 3
# The local broker without TLS, for cleaning up what a test declared over amqps.
PLAIN_URL = "amqp://guest:guest@127.0.0.1:5672/"


def amqps(endpoint: SecuredRabbitMQ, **changes: object) -> RabbitMQSettings:
    unique = uuid.uuid4().hex[:10]
    options: dict[str, object] = {
        "url": endpoint.url,
        "ssl_cafile": endpoint.certs.ca,
        "exchange": f"secured-{unique}",
        "queue_prefix": f"secured-{unique}.",
        "prefetch": 10,
    }
    return RabbitMQSettings(**{**options, **changes})


def collecting(seen: list[Envelope]) -> Handler:
    async def handle(event: Event, envelope: Envelope) -> None:
        seen.append(envelope)

    return handle


async def test_rabbitmq_over_amqps_publishes_and_consumes(
    rabbitmq_tls: SecuredRabbitMQ,
) -> None:
    rabbitmq = amqps(rabbitmq_tls)
    settings = Settings(
        source="urn:eda:secured-link-tests",
        default_broker=BrokerKind.RABBITMQ,
        routes={},
        rabbitmq=rabbitmq,
        retry={"max_attempts": 2, "initial_backoff_s": 0.01, "max_backoff_s": 0.05},
    )
    subscription = Subscription(f"secured-{uuid.uuid4().hex[:10]}", EVENT_TYPE)
    seen: list[Envelope] = []
    sent = [order_confirmed() for _ in range(MESSAGES)]
    try:
        async with running(create_consumer(settings, subscription, collecting(seen))):
            publisher = RabbitMQPublisher(rabbitmq)
            await publisher.start()
            try:
                await publisher.publish_many(sent)
            finally:
                await publisher.close()
            await eventually(
                lambda: len(seen) >= MESSAGES,
                timeout=30,
                what=lambda: f"{MESSAGES} events consumed over amqps, got {seen}",
            )
    finally:
        plain = rabbitmq.model_copy(update={"url": PLAIN_URL, "ssl_cafile": None})
        await delete_topology(plain, [subscription.subscriber])

    assert [envelope.id for envelope in seen] == [envelope.id for envelope in sent]
    assert [envelope.event() for envelope in seen] == [envelope.event() for envelope in sent]


async def misconfiguration(settings: RabbitMQSettings) -> list[str]:
    """The messages of both connection kinds (plain, robust) for ``settings``."""
    messages = []
    for connect in (connect_rabbitmq, connect_rabbitmq_robust):
        try:
            connection = await connect(settings)
        except LinkMisconfigured as exc:
            message = str(exc)
        else:
            await connection.close()
            raise AssertionError(f"{connect.__name__} connected")
        assert "\n" not in message
        messages.append(message)
    return messages


async def test_a_broker_certificate_of_another_ca_names_the_ca_setting(
    rabbitmq_tls: SecuredRabbitMQ,
) -> None:
    for message in await misconfiguration(
        amqps(rabbitmq_tls, ssl_cafile=rabbitmq_tls.certs.other_ca)
    ):
        assert message.startswith(f"RabbitMQ at localhost:{rabbitmq_tls.port}: "), message
        assert "does not verify" in message
        assert "EDA_RABBITMQ__SSL_CAFILE" in message


async def test_a_wrong_password_is_refused_without_showing_it(
    rabbitmq_tls: SecuredRabbitMQ,
) -> None:
    password = f"made-up-{uuid.uuid4().hex}"
    url = f"amqps://guest:{password}@localhost:{rabbitmq_tls.port}/"
    for message in await misconfiguration(amqps(rabbitmq_tls, url=url)):
        assert message.startswith(f"RabbitMQ at localhost:{rabbitmq_tls.port}: "), message
        assert "refused the user name or password" in message
        assert "EDA_RABBITMQ__URL" in message
        assert password not in message


async def test_amqps_to_the_plaintext_port_says_it_does_not_speak_tls(
    rabbitmq_tls: SecuredRabbitMQ,
) -> None:
    url = "amqps://guest:guest@localhost:5672/"
    for message in await misconfiguration(amqps(rabbitmq_tls, url=url)):
        assert message.startswith("RabbitMQ at localhost:5672: "), message
        assert "does not speak TLS" in message
        assert "EDA_RABBITMQ__URL" in message


async def test_plaintext_amqp_to_the_tls_port_names_the_url_setting(
    rabbitmq_tls: SecuredRabbitMQ,
) -> None:
    settings = RabbitMQSettings(url=f"amqp://guest:guest@localhost:{rabbitmq_tls.port}/")
    for connect in (connect_rabbitmq, connect_rabbitmq_robust):
        try:
            connection = await connect(settings)
        except AMQPConnectionError as exc:
            raise AssertionError(f"not diagnosed: {exc!r}") from exc
        except LinkMisconfigured as exc:
            message = str(exc)
        else:
            await connection.close()
            raise AssertionError("plaintext connected to the TLS port")
        assert "TLS" in message
        assert "EDA_RABBITMQ__URL" in message
