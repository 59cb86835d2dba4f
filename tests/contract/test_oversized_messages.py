"""A body over ``EDA_MAX_MESSAGE_BYTES`` is dead-lettered unparsed, on each broker.

The oversized message is a valid envelope (padded with an extension attribute), so
only the size check can send it to the dead letters: parsed, it would be handled.
"""

from __future__ import annotations

import json
import uuid

from shared.envelope import encode
from shared.events import OrderPlacedV1
from shared.messaging import create_consumer
from shared.messaging.dead_letter_record import ATTEMPTS, EVENT_TYPE, REASON, SUBSCRIBER
from tests.contract.events import SUBSCRIBED, order_placed, recording_handler
from tests.support.brokers.protocol import BrokerHarness, RawMessage
from tests.support.consumers import running
from tests.support.polling import eventually

LIMIT = 4_096


async def test_an_oversized_message_is_dead_lettered_unparsed_and_the_next_is_handled(
    broker: BrokerHarness,
) -> None:
    settings = broker.settings.model_copy(update={"max_message_bytes": LIMIT})
    subscription = broker.subscription(SUBSCRIBED)
    await broker.provision(subscription)
    handled, record = recording_handler(OrderPlacedV1)

    too_large = order_placed(uuid.uuid4(), uuid.uuid4())
    document = json.loads(encode(too_large))
    document["padding"] = "x" * LIMIT
    oversized = json.dumps(document).encode()
    healthy = order_placed(uuid.uuid4(), uuid.uuid4())
    assert len(encode(healthy)) <= LIMIT < len(oversized)

    dead: list[RawMessage] = []
    consumer = create_consumer(settings, subscription, record)
    async with (
        running(consumer) as task,
        broker.raw_session(subscription.subscriber) as session,
    ):
        await session.publish(SUBSCRIBED, [oversized, encode(healthy)], str(uuid.uuid4()).encode())

        async def settled() -> bool:
            dead.extend(await session.new_dead_letters())
            return healthy.id in handled and bool(dead)

        await eventually(settled, timeout=20.0, interval=0.01, what="both messages settled")
        assert not task.done(), "the consumer task ended"

    assert [message.body for message in dead] == [oversized]
    headers = dead[0].headers
    assert headers[REASON].startswith("MessageTooLargeError: "), headers[REASON]
    assert f"{len(oversized)} bytes" in headers[REASON]
    assert headers[ATTEMPTS] == "0"
    assert headers[SUBSCRIBER] == subscription.subscriber
    assert headers[EVENT_TYPE] == SUBSCRIBED
    assert handled == [healthy.id], "the oversized envelope was parsed and handled"
