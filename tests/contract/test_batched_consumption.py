"""Batched idempotent consumption on both brokers: a fetched run of events is handled in
one unit of work, and a run that fails goes one event at a time, as if never batched.

Each case fills the topic or queue before the consumer starts, with one subject for
every event, so that the consumer fetches them together (Kafka: one partition)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

import aiomysql

from shared.db import UnitOfWork, UnitOfWorkHandler, batch_handled_once, handled_once
from shared.envelope import Envelope, encode
from shared.errors import PermanentError, TransientError
from shared.events import Event
from shared.messaging import Consumer, RoutingPublisher, Subscription, create_consumer
from shared.messaging.dead_letter_record import ATTEMPTS, REASON
from tests.contract.events import (
    EVENT_TYPE,
    create_tables,
    effect_counts,
    order_confirmed,
    record_effect,
)
from tests.support.brokers.protocol import BrokerHarness, RawMessage
from tests.support.consumers import running
from tests.support.polling import eventually


class BatchedSubscriber:
    """The runner's wiring around ``handler``, noting each run and each commit."""

    def __init__(self, pool: aiomysql.Pool, subscriber: str, handler: UnitOfWorkHandler) -> None:
        self.runs: list[list[str]] = []
        self.committed: list[str] = []
        self._one = handled_once(pool, subscriber, handler)
        self._many = batch_handled_once(pool, subscriber, handler)

    async def handle(self, event: Event, envelope: Envelope) -> None:
        await self._one(event, envelope)
        self.committed.append(envelope.id)

    async def handle_many(self, events: Sequence[tuple[Event, Envelope]]) -> None:
        self.runs.append([envelope.id for _, envelope in events])
        await self._many(events)
        self.committed.extend(envelope.id for _, envelope in events)

    def consumer(self, broker: BrokerHarness, subscription: Subscription) -> Consumer:
        return create_consumer(
            broker.settings, subscription, self.handle, batch_handler=self.handle_many
        )


def same_subject(count: int) -> list[Envelope]:
    order_id = uuid.uuid4()
    return [order_confirmed(order_id=order_id) for _ in range(count)]


async def test_a_run_with_repeats_and_processed_events_applies_each_effect_once(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    await create_tables(mysql_pool)
    subscription = broker.subscription(EVENT_TYPE)
    processed, fresh = same_subject(3), same_subject(5)
    apply_once = handled_once(mysql_pool, subscription.subscriber, record_effect)
    for envelope in processed:  # handled before, e.g. by a consumer that died before its ack
        await apply_once(envelope.event(), envelope)
    sent = [fresh[0], *processed, fresh[1], fresh[0], *fresh[2:], processed[0], fresh[4]]
    subscriber = BatchedSubscriber(mysql_pool, subscription.subscriber, record_effect)

    await broker.provision(subscription)
    publisher = RoutingPublisher(broker.settings)
    await publisher.publish_many(sent)
    async with running(subscriber.consumer(broker, subscription)):
        await eventually(lambda: len(subscriber.committed) >= len(sent), what="every delivery")
    await publisher.close()

    assert any(len(run) > 1 for run in subscriber.runs), "the events were never batched"
    assert await effect_counts(mysql_pool) == {e.id: 1 for e in processed + fresh}


async def test_a_handler_failing_on_one_event_sinks_only_that_event(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    await create_tables(mysql_pool)
    subscription = broker.subscription(EVENT_TYPE)
    healthy = same_subject(6)
    rejected, flaky = healthy.pop(2), healthy.pop(3)
    calls: dict[str, int] = defaultdict(int)

    async def handler(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        calls[envelope.id] += 1
        if envelope.id == rejected.id:
            raise PermanentError("customer record is corrupt")
        if envelope.id == flaky.id and calls[envelope.id] < 3:
            raise TransientError("lock wait timeout")
        await record_effect(event, envelope, uow)

    subscriber = BatchedSubscriber(mysql_pool, subscription.subscriber, handler)
    sent = [*healthy[:2], rejected, healthy[2], flaky, *healthy[3:]]
    await broker.provision(subscription)
    publisher = RoutingPublisher(broker.settings)
    await publisher.publish_many(sent)
    async with running(subscriber.consumer(broker, subscription)):
        [dead] = await broker.read_dead_letters(subscription.subscriber, count=1)
        expected = {e.id for e in [*healthy, flaky]}
        await eventually(lambda: expected <= set(subscriber.committed), what="the others")
    await publisher.close()

    assert any(rejected.id in run for run in subscriber.runs), "the events were never batched"
    assert dead.body == encode(rejected)
    assert dead.headers[REASON] == "PermanentError: customer record is corrupt"
    assert dead.headers[ATTEMPTS] == "1"
    assert calls[flaky.id] >= 3, "the flaky event should have been retried"
    assert await effect_counts(mysql_pool) == {e.id: 1 for e in [*healthy, flaky]}


async def test_poison_in_a_run_is_dead_lettered_and_the_rest_applied_once(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    await create_tables(mysql_pool)
    subscription = broker.subscription(EVENT_TYPE)
    healthy = same_subject(6)
    key = healthy[0].subject.encode()
    poison = [b"\xff\xfe not json at all", b'{"hello": "world"}']
    subscriber = BatchedSubscriber(mysql_pool, subscription.subscriber, record_effect)

    await broker.provision(subscription)
    publisher = RoutingPublisher(broker.settings)
    await publisher.publish_many(healthy[:2])
    await broker.publish_raw(EVENT_TYPE, RawMessage(poison[0], key=key))
    await publisher.publish_many(healthy[2:4])
    await broker.publish_raw(EVENT_TYPE, RawMessage(poison[1], key=key))
    await publisher.publish_many(healthy[4:])
    async with running(subscriber.consumer(broker, subscription)):
        dead = await broker.read_dead_letters(subscription.subscriber, count=2)
        expected = {e.id for e in healthy}
        await eventually(lambda: expected <= set(subscriber.committed), what="the healthy")
    await publisher.close()

    assert any(len(run) > 1 for run in subscriber.runs), "the events were never batched"
    reasons = {message.body: message.headers[REASON] for message in dead}
    assert reasons[poison[0]].startswith("NotJsonError")
    assert reasons[poison[1]].startswith("NotACloudEventError")
    assert await effect_counts(mysql_pool) == {e.id: 1 for e in healthy}
