"""An event whose CloudEvents ``source`` is not its type's producer, against a real
subscriber on each broker: dead-lettered with the reason, while the producer's own
events behind it are handled. The subscription is the one a subscriber process runs
(``subscribers.catalog``), under a name of the test's own."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from shared.envelope import Envelope, encode, wrap
from shared.events import Money, OrderPlacedV1
from shared.events.orders import OrderLine
from shared.events.producers import allowed_source
from shared.messaging import create_consumer
from shared.messaging.dead_letter_record import REASON
from subscribers.catalog import subscriber_for
from tests.contract.events import recording_handler
from tests.support.brokers.protocol import BrokerHarness, RawMessage
from tests.support.consumers import running
from tests.support.polling import eventually

SUBSCRIBED = OrderPlacedV1.event_type


def order_placed(source: str) -> Envelope:
    price = Money(amount=Decimal("12.50"), currency="EUR")
    event = OrderPlacedV1(
        order_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        items=[OrderLine(sku="BOOK-1", quantity=1, unit_price=price)],
        total=price,
        placed_at=datetime.now(UTC),
    )
    return wrap(event, source=source)


async def test_an_event_from_another_source_is_dead_lettered_with_the_reason(
    broker: BrokerHarness,
) -> None:
    production = subscriber_for(SUBSCRIBED).subscription
    subscription = dataclasses.replace(
        production, subscriber=broker.subscription(SUBSCRIBED).subscriber
    )
    await broker.provision(subscription)
    handled, handle = recording_handler()

    forged = order_placed("urn:eda:user-service")  # a real service, not this type's producer
    planted = order_placed("urn:eda:intruder")
    genuine = order_placed(allowed_source(SUBSCRIBED))
    consumer = create_consumer(broker.settings, subscription, handle)
    async with running(consumer):
        for envelope in (forged, planted, genuine):
            await broker.publish_raw(
                SUBSCRIBED, RawMessage(encode(envelope), key=envelope.subject.encode())
            )
        letters = await broker.read_dead_letters(subscription.subscriber, 2)
        await eventually(lambda: genuine.id in handled, what="the genuine event handled")

    assert handled == [genuine.id]
    reasons = sorted(letter.headers[REASON] for letter in letters)
    assert reasons == [
        "UnexpectedSourceError: order.placed from source 'urn:eda:intruder';"
        " only 'urn:eda:order-service' publishes it",
        "UnexpectedSourceError: order.placed from source 'urn:eda:user-service';"
        " only 'urn:eda:order-service' publishes it",
    ]
    assert sorted(letter.body for letter in letters) == sorted([encode(forged), encode(planted)])
