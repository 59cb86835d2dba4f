"""An idle Kafka consumer with an idle fetch wait fetches a few times a second from a
broker that answers only at the deadline (Tansu), not a hundred; its first record after
idle is still handled, and the fetches after it are short again."""

from __future__ import annotations

import asyncio
import time

from aiokafka.protocol.fetch import FetchRequest

from shared.messaging import RoutingPublisher
from tests.contract.events import order_confirmed
from tests.contract.kafka_requests import SentRequests, recording_consumer
from tests.support.consumers import running
from tests.support.polling import eventually

BUSY_MS = 10
IDLE_MS = 300
WINDOW_S = 3.0


def waits(fetches: SentRequests, start: float) -> list[int]:
    return [request._max_wait_ms for request in fetches.since(start)]


async def test_an_idle_consumer_waits_longer_per_fetch_and_the_first_record_gets_through(
    kafka_bootstrap: str,
) -> None:
    recording = await recording_consumer(
        kafka_bootstrap, fetch_max_wait_ms=BUSY_MS, idle_fetch_max_wait_ms=IDLE_MS
    )
    async with running(recording.consumer):
        fetches = SentRequests(recording.consumer, FetchRequest)
        await eventually(
            lambda: IDLE_MS in waits(fetches, 0),
            timeout=30,
            what="a fetch with the idle wait",
        )
        idle_start = time.monotonic()
        await asyncio.sleep(WINDOW_S)  # the window whose fetches are counted
        idle_fetches = waits(fetches, idle_start)
        # At most one fetch per idle wait (and one in flight); a wait of 10 ms gave ~300.
        assert len(idle_fetches) <= WINDOW_S * 1000 / IDLE_MS + 2, idle_fetches
        assert set(idle_fetches) == {IDLE_MS}

        envelope = order_confirmed()
        publisher = RoutingPublisher(recording.broker.settings)
        await publisher.publish_many([envelope])
        await publisher.close()
        published_at = time.monotonic()
        await eventually(
            lambda: envelope.id in recording.handled, timeout=30, what="the first record"
        )
        await eventually(
            lambda: BUSY_MS in waits(fetches, published_at), timeout=30, what="a short fetch"
        )
