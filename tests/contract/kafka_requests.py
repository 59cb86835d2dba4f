"""A shared Kafka consumer whose handler records what it handled, a record of the
requests of one kind its client sends to the broker (what it asks of Tansu), and the
records a group has committed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.messaging import Subscription, create_consumer, group_for, topic_for
from shared.messaging.kafka.consumer import KafkaConsumer
from shared.settings import BrokerKind
from tests.contract.events import EVENT_TYPE, recording_handler
from tests.contract.settings import contract_settings
from tests.support.brokers.kafka import KafkaHarness


@dataclass(frozen=True)
class Recording:
    broker: KafkaHarness
    subscription: Subscription
    consumer: KafkaConsumer
    handled: list[str]
    """The ids of the events the consumer handled, in order."""


async def recording_consumer(kafka_bootstrap: str, **kafka: Any) -> Recording:
    """A consumer (not started) of a fresh topic, with ``kafka`` settings changed."""
    settings = contract_settings(BrokerKind.KAFKA, kafka_bootstrap)
    changed = settings.kafka.model_copy(update=kafka)
    broker = KafkaHarness(settings.model_copy(update={"kafka": changed}))
    subscription = broker.subscription(EVENT_TYPE)
    await broker.provision(subscription)
    handled, handle = recording_handler()

    consumer = create_consumer(broker.settings, subscription, handle)
    assert isinstance(consumer, KafkaConsumer)
    return Recording(broker, subscription, consumer, handled)


class SentRequests:
    """When each request of ``kind`` left the consumer's client, from now on."""

    def __init__(self, consumer: KafkaConsumer, kind: type) -> None:
        client = consumer._consumer._client
        send = client.send
        self.sent: list[tuple[float, Any]] = []

        async def recorded(node_id: int, request: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(request, kind):
                self.sent.append((time.monotonic(), request))
            return await send(node_id, request, *args, **kwargs)

        client.send = recorded

    def since(self, start: float) -> list[Any]:
        return [request for at, request in self.sent if at >= start]


async def committed(broker: KafkaHarness, subscription: Subscription) -> int:
    """The group's committed offsets summed over the topic's partitions: the number of
    records committed, as every partition starts at offset 0."""
    kafka = broker.settings.kafka
    reader = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group_for(kafka, subscription.subscriber),
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        topic = topic_for(kafka, subscription.event_type)
        await reader.topics()  # metadata for the topic
        total = 0
        for partition in reader.partitions_for_topic(topic) or ():
            total += await reader.committed(TopicPartition(topic, partition)) or 0
        return total
    finally:
        await reader.stop()
