"""An idle Kafka consumer with an idle fetch wait fetches a few times a second from a
broker that answers only at the deadline (Tansu), not a hundred; its first record after
idle is still handled, and the fetches after it are short again."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.protocol.fetch import FetchRequest

from shared.envelope import Envelope
from shared.events import Event
from shared.messaging import RoutingPublisher, create_consumer
from shared.messaging.kafka.consumer import KafkaConsumer
from shared.settings import BrokerKind
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.contract.settings import contract_settings
from tests.support.brokers.kafka import KafkaHarness
from tests.support.consumers import running
from tests.support.polling import eventually

BUSY_MS = 10
IDLE_MS = 300
WINDOW_S = 3.0


class FetchWaits:
    """The wait of every fetch request the consumer's client sends."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        client = consumer._consumer._client
        send = client.send
        self.waits: list[tuple[float, int]] = []

        async def counted(node_id: int, request: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(request, FetchRequest):
                self.waits.append((time.monotonic(), request._max_wait_ms))
            return await send(node_id, request, *args, **kwargs)

        client.send = counted

    def since(self, start: float) -> list[int]:
        return [wait for at, wait in self.waits if at >= start]


async def test_an_idle_consumer_waits_longer_per_fetch_and_the_first_record_gets_through(
    kafka_bootstrap: str,
) -> None:
    settings = contract_settings(BrokerKind.KAFKA, kafka_bootstrap)
    kafka = settings.kafka.model_copy(
        update={"fetch_max_wait_ms": BUSY_MS, "idle_fetch_max_wait_ms": IDLE_MS}
    )
    broker = KafkaHarness(settings.model_copy(update={"kafka": kafka}))
    subscription = broker.subscription(EVENT_TYPE)
    await broker.provision(subscription)
    handled: list[str] = []

    async def handle(_event: Event, envelope: Envelope) -> None:
        handled.append(envelope.id)

    consumer = create_consumer(broker.settings, subscription, handle)
    assert isinstance(consumer, KafkaConsumer)
    async with running(consumer):
        fetches = FetchWaits(consumer)
        await eventually(
            lambda: IDLE_MS in fetches.since(0),
            timeout=30,
            what="a fetch with the idle wait",
        )
        idle_start = time.monotonic()
        await asyncio.sleep(WINDOW_S)  # the window whose fetches are counted
        idle_fetches = fetches.since(idle_start)
        # At most one fetch per idle wait (and one in flight); a wait of 10 ms gave ~300.
        assert len(idle_fetches) <= WINDOW_S * 1000 / IDLE_MS + 2, idle_fetches
        assert set(idle_fetches) == {IDLE_MS}

        envelope = order_confirmed()
        publisher = RoutingPublisher(broker.settings)
        await publisher.publish_many([envelope])
        await publisher.close()
        published_at = time.monotonic()
        await eventually(lambda: envelope.id in handled, timeout=30, what="the first record")
        await eventually(
            lambda: BUSY_MS in fetches.since(published_at), timeout=30, what="a short fetch"
        )
