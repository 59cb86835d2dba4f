"""For the `eda dlq` tests: settings with unique names, a handler that refuses chosen
events until told otherwise, crash-looped and directly dead-lettered messages, the command run
in-process, and cleanup of the RabbitMQ objects a test declared."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eda_cli.main import main
from shared.envelope import Envelope, encode, wrap
from shared.errors import PermanentError
from shared.events import Event, Money, OrderPlacedV1
from shared.events.orders import OrderLine
from shared.messaging import (
    IncomingMessage,
    Publisher,
    Subscription,
    queue_name,
)
from shared.messaging.kafka.dead_letters import KafkaDeadLetters
from shared.messaging.kafka.publisher import create_producer
from shared.messaging.kafka.topology import TopicProvisioner
from shared.messaging.rabbitmq.dead_letters import RabbitMQDeadLetters
from shared.messaging.rabbitmq.topology import declare_subscriber_queue
from shared.settings import BrokerKind, Settings
from tests.support.brokers.kafka import assigned_reader
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology, open_channel

SUBSCRIBER = "orders.order-placed"
EVENT_TYPE = OrderPlacedV1.event_type
SOURCE = "urn:eda:dlq-tests"
AUDIT_NAME = "eda.dlq.audit"
"""The audit record's topic or stream, after the prefix (docs/dead-letters.md)."""


def dlq_environment(kind: BrokerKind, kafka_bootstrap: str) -> dict[str, str]:
    """EDA_* variables for one test: its own topic prefix, exchange and queue prefix."""
    unique = uuid.uuid4().hex[:10]
    return {
        "EDA_SOURCE": SOURCE,
        "EDA_DEFAULT_BROKER": kind.value,
        "EDA_ROUTES": "{}",
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "EDA_KAFKA__TOPIC_PREFIX": f"dlq{unique}.",
        "EDA_KAFKA__PARTITIONS": "2",
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "EDA_RABBITMQ__EXCHANGE": f"events-dlq{unique}",
        "EDA_RABBITMQ__QUEUE_PREFIX": f"dlq{unique}.",
        # The broker dead-letters a message on its second return.
        "EDA_RABBITMQ__DELIVERY_LIMIT": "1",
        "EDA_RETRY__MAX_ATTEMPTS": "2",
        "EDA_RETRY__INITIAL_BACKOFF_S": "0.01",
        "EDA_RETRY__MAX_BACKOFF_S": "0.02",
    }


def order_placed(source: str = SOURCE) -> Envelope:
    price = Money(amount=Decimal("12.50"), currency="EUR")
    event = OrderPlacedV1(
        order_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        items=[OrderLine(sku="BOOK-1", quantity=2, unit_price=price)],
        total=Money(amount=Decimal("25.00"), currency="EUR"),
        placed_at=datetime.now(UTC),
    )
    return wrap(event, source=source)


@dataclass
class Handler:
    """Refuses (PermanentError) or keeps failing (retries run out) on chosen events
    while ``failing``; records every event it handled."""

    refused: set[str]
    flaky: set[str]
    failing: bool = True
    handled: list[str] = field(default_factory=list)

    async def __call__(self, event: Event, envelope: Envelope) -> None:
        if self.failing and envelope.id in self.refused:
            raise PermanentError(f"order {envelope.subject} refused")
        if self.failing and envelope.id in self.flaky:
            raise RuntimeError("database away")
        self.handled.append(envelope.id)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err + self.out
        return json.loads(self.out)


async def eda_dlq(*args: str, stdin: str = "") -> CliResult:
    """`eda dlq ARGS` in-process, on a thread of its own (it runs its own event loop)."""

    def call() -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(["dlq", *args])
                except SystemExit as exc:  # argparse refused the arguments
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            sys.stdin = saved
        return CliResult(code, out.getvalue(), err.getvalue())

    return await asyncio.to_thread(call)


async def waiting(subscriber: str = SUBSCRIBER) -> dict[str, Any]:
    """`eda dlq list SUBSCRIBER --json`, parsed."""
    listing: dict[str, Any] = (await eda_dlq("list", subscriber, "--json", "--limit", "100")).json()
    return listing


async def crash_loop(
    settings: Settings, subscription: Subscription, publisher: Publisher, envelope: Envelope
) -> None:
    """Publish to the subscriber's (declared) queue and return the message until the
    broker dead-letters it for the delivery limit, as when a process dies handling it."""
    async with open_channel(settings.rabbitmq) as channel:
        queue, _ = await declare_subscriber_queue(channel, settings.rabbitmq, subscription)
        await publisher.publish(envelope)

        async def dead_lettered() -> bool:
            delivery = await queue.get(no_ack=False, fail=False)
            if delivery is None:
                return True
            await delivery.reject(requeue=True)
            return False

        await eventually(dead_lettered, what="the broker dead-letters the crashing message")


async def dead_letter_directly(
    settings: Settings,
    kind: BrokerKind,
    envelope: Envelope,
    origin_topic: str,
    rabbitmq_origin: str | None = None,
) -> None:
    """Dead-letter an envelope with the shared dead-letter sinks, as a consumer that
    took it from ``origin_topic`` (Kafka) or the events exchange (RabbitMQ) would;
    ``rabbitmq_origin`` records another origin instead, as a planted letter could."""
    subscription = Subscription(SUBSCRIBER, EVENT_TYPE)
    if kind is BrokerKind.KAFKA:
        producer = create_producer(settings.kafka)
        sink = KafkaDeadLetters(
            settings.kafka, subscription, producer, TopicProvisioner(settings.kafka)
        )
        await sink.ensure_topic()
        await producer.start()
        try:
            message = IncomingMessage(
                encode(envelope), envelope.subject.encode(), f"{origin_topic}/0@0"
            )
            await sink.dead_letter(message, "PermanentError: refused", 1)
        finally:
            await producer.stop()
        return
    async with open_channel(settings.rabbitmq) as channel:
        _, dlx = await declare_subscriber_queue(channel, settings.rabbitmq, subscription)
        rabbitmq_sink = RabbitMQDeadLetters(subscription)
        rabbitmq_sink.bind(dlx)
        origin = rabbitmq_origin or f"{settings.rabbitmq.exchange}/{EVENT_TYPE}"
        message = IncomingMessage(encode(envelope), envelope.subject.encode(), origin)
        await rabbitmq_sink.dead_letter(message, "PermanentError: refused", 1)


async def delete_subscriber_queue(settings: Settings) -> None:
    async with open_channel(settings.rabbitmq) as channel:
        await channel.queue_delete(queue_name(settings.rabbitmq, SUBSCRIBER))


@contextlib.asynccontextmanager
async def rabbitmq_cleanup(settings: Settings, *subscribers: str) -> AsyncIterator[None]:
    """Delete the subscribers' topology and the audit stream a test's commands wrote."""
    try:
        yield
    finally:
        await delete_topology(settings.rabbitmq, subscribers)
        async with open_channel(settings.rabbitmq) as channel:
            await channel.queue_delete(audit_stream(settings))


def audit_stream(settings: Settings) -> str:
    return settings.rabbitmq.queue_prefix + AUDIT_NAME


def audit_topic(settings: Settings) -> str:
    return settings.kafka.topic_prefix + AUDIT_NAME


async def kafka_bodies(settings: Settings, topic: str) -> list[bytes]:
    """Every record of ``topic`` (created if missing), read to the end each partition
    has now: the high watermark a fetch reports."""
    await TopicProvisioner(settings.kafka).ensure({topic})
    async with assigned_reader(settings.kafka.bootstrap_servers, topic) as (reader, partitions):
        await reader.seek_to_beginning(*partitions)
        bodies: list[bytes] = []

        async def at_end() -> bool:
            for records in (await reader.getmany(*partitions, timeout_ms=50)).values():
                bodies.extend(record.value or b"" for record in records)
            for tp in partitions:
                highwater = reader.highwater(tp)
                if highwater is None or await reader.position(tp) < highwater:
                    return False
            return True

        await eventually(at_end, what=f"the end of {topic}")
        return bodies


async def rabbitmq_queue_bodies(settings: Settings, queue: str) -> list[bytes]:
    """Take every message waiting in ``queue`` (acknowledged: they are gone after)."""
    bodies: list[bytes] = []
    async with open_channel(settings.rabbitmq) as channel:
        declared = await channel.declare_queue(queue, passive=True)
        while (delivery := await declared.get(no_ack=True, fail=False)) is not None:
            bodies.append(delivery.body)
    return bodies
