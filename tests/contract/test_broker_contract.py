"""The broker contract, written once and run against Kafka (Tansu) and RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict

import aiomysql

from shared.db import handled_once
from shared.envelope import Envelope, dataschema_for, encode
from shared.errors import PermanentError, TransientError
from shared.events import Event
from shared.messaging import Handler, RoutingPublisher, Subscription, create_consumer
from shared.messaging.dead_letter_record import ATTEMPTS, ORIGIN, REASON, SUBSCRIBER
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

Seen = list[Envelope]


def collecting(seen: Seen) -> Handler:
    async def handle(event: Event, envelope: Envelope) -> None:
        seen.append(envelope)

    return handle


def applying_once(pool: aiomysql.Pool, subscription: Subscription, deliveries: Seen) -> Handler:
    """Applies each event's effect once (a processed_events claim) and records every delivery."""
    apply_once = handled_once(pool, subscription.subscriber, record_effect)

    async def handle(event: Event, envelope: Envelope) -> None:
        await apply_once(event, envelope)
        deliveries.append(envelope)

    return handle


async def test_published_event_is_consumed_intact(broker: BrokerHarness) -> None:
    seen: Seen = []
    subscription = broker.subscription(EVENT_TYPE)
    publisher = RoutingPublisher(broker.settings)
    sent = order_confirmed()
    async with running(create_consumer(broker.settings, subscription, collecting(seen))):
        await publisher.publish(sent)
        await eventually(lambda: len(seen) == 1, what="the event consumed")
    await publisher.close()

    received = seen[0]
    assert received.id == sent.id
    assert received.subject == sent.subject
    assert received.correlationid == sent.correlationid
    assert received.event() == sent.event()


async def test_every_published_message_parses_with_the_cloudevents_sdk(
    broker: BrokerHarness,
) -> None:
    publisher = RoutingPublisher(broker.settings)
    sent = [order_confirmed() for _ in range(3)]
    await publisher.publish(order_confirmed())  # declares the exchange before the tap binds
    async with broker.tap(EVENT_TYPE) as tap:
        await publisher.publish_many(sent)
        raw = await tap.take(len(sent))
    await publisher.close()

    assert all(message.content_type == "application/cloudevents+json" for message in raw)
    parsed = {event.get_id(): event for event in map(broker.cloudevent, raw)}
    for envelope in sent:
        event = parsed[envelope.id]
        assert event.get_type() == EVENT_TYPE
        assert event.get_source() == envelope.source
        assert event.get_subject() == envelope.subject
        assert event.get_dataschema() == dataschema_for(EVENT_TYPE, 1)
        assert event.get_data() == envelope.data
        assert event.get_extension("correlationid") == envelope.correlationid


async def test_order_is_kept_per_key_for_1000_events_over_10_keys(broker: BrokerHarness) -> None:
    keys = [order_confirmed().event().aggregate_id for _ in range(10)]
    sent = [order_confirmed(order_id=uuid.UUID(keys[i % 10])) for i in range(1000)]
    seen: Seen = []
    publisher = RoutingPublisher(broker.settings)
    subscription = broker.subscription(EVENT_TYPE)
    async with running(create_consumer(broker.settings, subscription, collecting(seen))):
        for start in range(0, len(sent), 100):
            await publisher.publish_many(sent[start : start + 100])
        await eventually(lambda: len(seen) >= 1000, what="1000 events consumed")
    await publisher.close()

    assert _ids_by_subject(seen) == _ids_by_subject(sent)


async def test_a_crash_before_ack_redelivers_and_the_effect_happens_once(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    await create_tables(mysql_pool)
    subscription = broker.subscription(EVENT_TYPE)
    apply_once = handled_once(mysql_pool, subscription.subscriber, record_effect)
    deliveries: Seen = []
    committed_then_stuck = asyncio.Event()

    async def crash_after_commit(event: Event, envelope: Envelope) -> None:
        await apply_once(event, envelope)
        deliveries.append(envelope)
        committed_then_stuck.set()
        await asyncio.Event().wait()  # the process "dies" here: cancelled before any ack

    async def handle(event: Event, envelope: Envelope) -> None:
        await apply_once(event, envelope)
        deliveries.append(envelope)

    publisher = RoutingPublisher(broker.settings)
    sent = order_confirmed()
    crashing = create_consumer(broker.settings, subscription, crash_after_commit)
    task = asyncio.create_task(crashing.run())
    await eventually(lambda: crashing.ready, what="consumer ready")
    await publisher.publish(sent)
    await asyncio.wait_for(committed_then_stuck.wait(), timeout=30)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with running(create_consumer(broker.settings, subscription, handle)):
        await eventually(lambda: len(deliveries) == 2, what="the redelivery")
    await publisher.close()

    assert [d.id for d in deliveries] == [sent.id, sent.id]
    assert await effect_counts(mysql_pool) == {sent.id: 1}


async def test_a_duplicate_delivery_applies_its_effect_once(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    await create_tables(mysql_pool)
    subscription = broker.subscription(EVENT_TYPE)
    deliveries: Seen = []
    handle = applying_once(mysql_pool, subscription, deliveries)
    publisher = RoutingPublisher(broker.settings)
    duplicated, other = order_confirmed(), order_confirmed()
    async with running(create_consumer(broker.settings, subscription, handle)):
        await publisher.publish_many([duplicated, duplicated, other, duplicated])
        await eventually(lambda: len(deliveries) == 4, what="four deliveries")
    await publisher.close()

    assert await effect_counts(mysql_pool) == {duplicated.id: 1, other.id: 1}


async def test_a_transient_error_is_retried_until_it_succeeds(broker: BrokerHarness) -> None:
    attempts: dict[str, int] = defaultdict(int)
    handled: Seen = []

    async def flaky(event: Event, envelope: Envelope) -> None:
        attempts[envelope.id] += 1
        if attempts[envelope.id] < 3:
            raise TransientError("database briefly unavailable")
        handled.append(envelope)

    subscription = broker.subscription(EVENT_TYPE)
    publisher = RoutingPublisher(broker.settings)
    sent = [order_confirmed() for _ in range(5)]
    async with running(create_consumer(broker.settings, subscription, flaky)):
        await publisher.publish_many(sent)
        await eventually(lambda: len(handled) == 5, what="all five handled")
    await publisher.close()

    assert dict(attempts) == {envelope.id: 3 for envelope in sent}
    assert {envelope.id for envelope in handled} == {envelope.id for envelope in sent}


async def test_bad_messages_are_dead_lettered_with_reason_and_later_ones_still_processed(
    broker: BrokerHarness,
) -> None:
    rejected_by_handler = order_confirmed()
    exhausts_retries = order_confirmed()
    healthy = [order_confirmed() for _ in range(3)]
    wrong_version = json.loads(encode(order_confirmed()))
    wrong_version["dataschema"] = dataschema_for(EVENT_TYPE, 99)
    violating = json.loads(encode(order_confirmed()))
    violating["data"]["total"]["amount"] = "-5.00"
    poison: list[tuple[bytes, str]] = [
        (b"\xff\xfe not json at all", "NotJsonError"),
        (b'{"hello": "world"}', "NotACloudEventError"),
        (json.dumps(wrong_version).encode(), "UnknownEventTypeError"),
        (json.dumps(violating).encode(), "SchemaViolationError"),
    ]
    handled: Seen = []

    async def handle(event: Event, envelope: Envelope) -> None:
        if envelope.id == rejected_by_handler.id:
            raise PermanentError("customer record is corrupt")
        if envelope.id == exhausts_retries.id:
            raise ConnectionError("downstream never answers")
        handled.append(envelope)

    subscription = broker.subscription(EVENT_TYPE)
    publisher = RoutingPublisher(broker.settings)
    async with running(create_consumer(broker.settings, subscription, handle)):
        for body, _ in poison:
            await broker.publish_raw(EVENT_TYPE, RawMessage(body, key=b"same-key"))
        await publisher.publish_many([rejected_by_handler, exhausts_retries, *healthy])
        await eventually(lambda: len(handled) == 3, what="the healthy events handled")
        dead = await broker.read_dead_letters(subscription.subscriber, count=6)
    await publisher.close()

    assert {envelope.id for envelope in handled} == {envelope.id for envelope in healthy}
    by_body = {message.body: message for message in dead}
    for body, error in poison:
        assert by_body[body].headers[REASON].startswith(error), by_body[body].headers
        assert by_body[body].headers[ATTEMPTS] == "0"
    handler_rejected = by_body[encode(rejected_by_handler)]
    assert handler_rejected.headers[REASON] == "PermanentError: customer record is corrupt"
    assert handler_rejected.headers[ATTEMPTS] == "1"
    exhausted = by_body[encode(exhausts_retries)]
    assert exhausted.headers[REASON].startswith("retries exhausted after 4 attempts")
    assert exhausted.headers[ATTEMPTS] == "4"
    for message in dead:
        assert message.headers[SUBSCRIBER] == subscription.subscriber
        assert EVENT_TYPE in message.headers[ORIGIN]


async def test_a_dead_letter_keeps_the_content_type_message_id_and_trace_headers(
    broker: BrokerHarness,
) -> None:
    """So that a replayed dead letter reads as the original did and continues its trace."""
    refused = order_confirmed()
    trace = {
        "traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
        "tracestate": "vendor=kept",
    }

    async def handle(event: Event, envelope: Envelope) -> None:
        raise PermanentError("refused")

    subscription = broker.subscription(EVENT_TYPE)
    async with running(create_consumer(broker.settings, subscription, handle)):
        await broker.publish_raw(
            EVENT_TYPE,
            RawMessage(
                encode(refused),
                key=str(refused.subject).encode(),
                headers=trace,
                content_type="application/cloudevents+json",
                message_id=refused.id,
            ),
        )
        [dead] = await broker.read_dead_letters(subscription.subscriber, count=1)

    assert dead.body == encode(refused)
    assert dead.key == str(refused.subject).encode()
    assert dead.content_type == "application/cloudevents+json"
    assert dead.headers["traceparent"] == trace["traceparent"]
    assert dead.headers["tracestate"] == trace["tracestate"]
    assert dead.headers[REASON] == "PermanentError: refused"
    if broker.carries_message_ids:
        assert dead.message_id == refused.id


async def test_graceful_shutdown_finishes_in_flight_work_and_loses_nothing(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    await create_tables(mysql_pool)
    broker = broker.with_batch_size(10)
    subscription = broker.subscription(EVENT_TYPE)
    deliveries: Seen = []
    handle = applying_once(mysql_pool, subscription, deliveries)
    publisher = RoutingPublisher(broker.settings)
    sent = [order_confirmed() for _ in range(300)]
    first = create_consumer(broker.settings, subscription, handle)
    async with running(first) as task:
        await publisher.publish_many(sent)
        await eventually(lambda: len(deliveries) >= 30, what="some events handled")
        first.stop()
        await asyncio.wait_for(task, timeout=30)
    handled_before_stop = len(deliveries)

    async with running(create_consumer(broker.settings, subscription, handle)):
        await eventually(lambda: len(deliveries) >= 300, what="the rest handled after restart")
    await publisher.close()

    assert handled_before_stop < 300
    delivered_ids = [envelope.id for envelope in deliveries]
    assert len(delivered_ids) == len(set(delivered_ids)), "a finished event was redelivered"
    assert await effect_counts(mysql_pool) == {envelope.id: 1 for envelope in sent}


def _ids_by_subject(envelopes: list[Envelope]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for envelope in envelopes:
        grouped[envelope.subject].append(envelope.id)
    return dict(grouped)
