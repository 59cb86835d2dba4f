"""One RabbitMQ user per workload, with exactly the rights ``shared.messaging.permissions``
derives, on the local broker: each workload does its own job through the shared
adapters, and the broker itself refuses a forged publish, a read of another
subscriber's queue, a binding to another event type and a queue of its own choosing.

Names are unique per test (exchange and queue prefix), so the rights are computed for
them, as ``eda access rabbitmq`` does for a deployment's prefixes."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused

from shared.envelope import Envelope, wrap
from shared.events import Event, Money, OrderConfirmedV1, UserRegisteredV1
from shared.events.producers import allowed_source
from shared.messaging import Subscription, create_consumer, queue_name
from shared.messaging.permissions import rabbitmq_rights, workload_named
from shared.messaging.rabbitmq import RabbitMQPublisher, declare_subscriber_queue
from shared.settings import BrokerKind, Settings, load_settings
from shared.subscribers import SUBSCRIBER_NAMES, subscriber_named
from tests.support.consumers import running
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology
from tests.support.secured.rabbitmq import workload_user

# Users with each workload's rights on the local RabbitMQ.
pytestmark = [pytest.mark.rabbitmq, pytest.mark.timeout(120)]


@pytest.fixture
async def names() -> AsyncIterator[Settings]:
    """Settings (as guest) with an exchange and queue prefix of this test's own."""
    unique = uuid.uuid4().hex[:10]
    settings = load_settings(
        default_broker=BrokerKind.RABBITMQ,
        rabbitmq={"exchange": f"events-acl{unique}", "queue_prefix": f"acl{unique}."},
    )
    try:
        yield settings
    finally:
        await delete_topology(settings.rabbitmq, [s.name for s in SUBSCRIBER_NAMES])


@contextlib.contextmanager
def running_as(workload: str, settings: Settings) -> Iterator[Settings]:
    """``settings`` with the URL of a fresh user holding ``workload``'s rights."""
    rights = rabbitmq_rights(workload_named(workload), settings)
    with workload_user(rights, settings.rabbitmq.exchange) as url:
        yield settings.model_copy(
            update={"rabbitmq": settings.rabbitmq.model_copy(update={"url": url})}
        )


def registered() -> Envelope:
    event = UserRegisteredV1(
        user_id=uuid.uuid4(), email="acl@example.com", name="Acl", registered_at=datetime.now(UTC)
    )
    return wrap(event, source=allowed_source(event.event_type))


def confirmed() -> Envelope:
    event = OrderConfirmedV1(
        order_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        total=Money(amount=Decimal("12.50"), currency="EUR"),
        confirmed_at=datetime.now(UTC),
    )
    return wrap(event, source=allowed_source(event.event_type))


async def test_a_service_publishes_its_events_and_the_broker_refuses_anothers(
    names: Settings,
) -> None:
    with running_as("user-service", names) as user_service:
        publisher = RabbitMQPublisher(user_service.rabbitmq)
        await publisher.start()
        try:
            await publisher.publish(registered())  # confirmed by the broker
            with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
                await publisher.publish(confirmed())  # order-service's event type
        finally:
            with contextlib.suppress(Exception):
                await publisher.close()


async def test_a_subscriber_consumes_its_queue_and_is_refused_another_subscribers(
    names: Settings,
) -> None:
    placed_queue = queue_name(names.rabbitmq, "orders.order-placed")
    mine = subscriber_named("users.order-confirmed")
    handled: list[str] = []

    async def handle(_event: Event, envelope: Envelope) -> None:
        handled.append(envelope.id)

    with (
        running_as("orders.order-placed", names) as order_placed,
        running_as(mine.name, names) as subscriber,
        running_as("order-service", names) as order_service,
    ):
        other = create_consumer(
            order_placed, Subscription("orders.order-placed", "order.placed"), handle
        )
        async with running(other):  # declares its own queue with its own user
            pass
        subscription = Subscription(mine.name, mine.event_type, allowed_source(mine.event_type))
        consumer = create_consumer(subscriber, subscription, handle)
        async with running(consumer):
            publisher = RabbitMQPublisher(order_service.rabbitmq)
            await publisher.start()
            try:
                event = confirmed()
                await publisher.publish(event)
            finally:
                await publisher.close()
            await eventually(lambda: event.id in handled, what="the confirmation handled")

        connection = await aio_pika.connect(subscriber.rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(placed_queue, passive=True)  # no right needed
            with pytest.raises(
                ChannelAccessRefused, match=f"access to queue '{placed_queue}' in vhost"
            ):
                await queue.get(fail=False)

            channel = await connection.channel()
            own = await channel.declare_queue(queue_name(names.rabbitmq, mine.name), passive=True)
            with pytest.raises(ChannelAccessRefused, match=r"user\.registered"):
                await own.bind(names.rabbitmq.exchange, routing_key="user.registered")

            channel = await connection.channel()
            with pytest.raises(
                ChannelAccessRefused, match="ACCESS_REFUSED - access to queue 'spy-"
            ):
                await channel.declare_queue(f"spy-{uuid.uuid4().hex[:8]}", auto_delete=True)


async def test_the_operator_declares_every_subscribers_queue_and_publishes_nothing(
    names: Settings,
) -> None:
    with running_as("operator", names) as operator:
        connection = await aio_pika.connect(operator.rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            for subscriber in SUBSCRIBER_NAMES:
                await declare_subscriber_queue(
                    channel, operator.rabbitmq, Subscription(subscriber.name, subscriber.event_type)
                )
            exchange = await channel.get_exchange(names.rabbitmq.exchange, ensure=False)
            with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED - access to exchange"):
                await exchange.publish(aio_pika.Message(b"{}"), routing_key="order.confirmed")
