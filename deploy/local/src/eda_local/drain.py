"""Wait until every Kafka-routed subscriber has committed all there is in its topic.

The embedded broker keeps its data in memory: an event still in a topic when it
stops is gone, while one still in an outbox table is relayed after the next start.
Once the HTTP services have stopped, the subscribers are left to consume what is in
the topics (and what their own relays add) before they stop in turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.links import kafka_client_options, start_kafka_client
from shared.messaging import broker_for, group_for, topic_for
from shared.settings import BrokerKind, Settings
from subscribers.catalog import SUBSCRIBERS

_POLL_S = 0.1
# Empty this many polls in a row: a relay publishes within milliseconds of the
# commit that wrote its event, so a backlog that stays empty this long is drained.
_EMPTY_POLLS = 5


def kafka_groups(settings: Settings) -> dict[str, str]:
    """Consumer group -> topic of every subscriber that Kafka carries."""
    return {
        group_for(settings.kafka, subscriber.name): topic_for(settings.kafka, event_type)
        for event_type, subscriber in SUBSCRIBERS.items()
        if broker_for(settings, event_type) is BrokerKind.KAFKA
    }


async def wait_until_drained(
    settings: Settings, timeout_s: float, cancelled: Callable[[], bool]
) -> bool:
    """True once nothing is left to consume; False at the deadline or when cancelled."""
    groups = kafka_groups(settings)
    if not groups:
        return True
    options = kafka_client_options(settings.kafka)
    admin = AIOKafkaAdminClient(**options)
    offsets = AIOKafkaConsumer(**options, enable_auto_commit=False)
    deadline = time.monotonic() + timeout_s
    await start_kafka_client(admin, settings.kafka)
    try:
        await start_kafka_client(offsets, settings.kafka)
        try:
            empty = 0
            while empty < _EMPTY_POLLS:
                if cancelled() or time.monotonic() > deadline:
                    return False
                empty = empty + 1 if await _backlog(admin, offsets, groups) == 0 else 0
                await asyncio.sleep(_POLL_S)
            return True
        finally:
            await _stop(offsets)
    finally:
        await admin.close()


async def _stop(consumer: AIOKafkaConsumer) -> None:
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        # aiokafka re-raises the cancellation of a task of its own: it is stopped.


async def _backlog(
    admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer, groups: Mapping[str, str]
) -> int:
    await offsets.topics()  # fresh metadata: every topic's partitions
    total = 0
    for group, topic in groups.items():
        partitions = [
            TopicPartition(topic, partition)
            for partition in offsets.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            continue
        ends = await offsets.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        for tp in partitions:
            mark = committed.get(tp)
            done = mark.offset if mark is not None and mark.offset >= 0 else 0
            total += max(0, ends[tp] - done)
    return total
