"""A Kafka consumer commits the offsets of the runs it handled together, at most every
``commit_interval_ms``, and all of them when it stops: here the interval outlasts the
test, so handling many runs sends no commit until the stop sends one."""

from __future__ import annotations

import functools
from typing import Any

from aiokafka.protocol.commit import OffsetCommitRequest

from shared.envelope import Envelope
from shared.events import Event
from shared.messaging import RoutingPublisher, create_consumer
from shared.messaging.kafka.consumer import KafkaConsumer
from shared.settings import BrokerKind
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.contract.settings import contract_settings
from tests.contract.test_kafka_runs_in_flight import committed
from tests.support.brokers.kafka import KafkaHarness
from tests.support.consumers import running
from tests.support.polling import eventually

EVENTS = 12


def count_commits(consumer: KafkaConsumer) -> list[int]:
    """One entry per offset commit request the consumer's client sends."""
    client = consumer._consumer._client
    send = client.send
    sent: list[int] = []

    async def counted(node_id: int, request: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(request, OffsetCommitRequest):
            sent.append(node_id)
        return await send(node_id, request, *args, **kwargs)

    client.send = counted
    return sent


async def test_handled_runs_are_committed_together_and_all_at_the_stop(
    kafka_bootstrap: str,
) -> None:
    settings = contract_settings(BrokerKind.KAFKA, kafka_bootstrap)
    kafka = settings.kafka.model_copy(update={"commit_interval_ms": 60_000})
    broker = KafkaHarness(settings.model_copy(update={"kafka": kafka}))
    subscription = broker.subscription(EVENT_TYPE)
    await broker.provision(subscription)
    handled: list[str] = []

    async def handle(_event: Event, envelope: Envelope) -> None:
        handled.append(envelope.id)

    consumer = create_consumer(broker.settings, subscription, handle)
    assert isinstance(consumer, KafkaConsumer)
    async with running(consumer):
        commits = count_commits(consumer)
        publisher = RoutingPublisher(broker.settings)
        for sent in range(1, EVENTS + 1):  # one at a time: runs of their own
            await publisher.publish_many([order_confirmed()])
            await eventually(functools.partial(_reached, handled, sent), what="handled")
        await publisher.close()
        assert commits == [], "no commit before the interval"
    assert len(commits) == 1, "one commit for every run, at the stop"
    assert await committed(broker, subscription) == EVENTS


def _reached(handled: list[str], count: int) -> bool:
    return len(handled) >= count
