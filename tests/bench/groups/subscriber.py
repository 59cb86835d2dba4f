"""Subscriber throughput with the real handler: ``order.confirmed`` → the user's statistics.

Each run gets a fresh migrated users database holding ``USERS`` users and a fresh
topic or queue pre-filled with ``EVENTS`` ``order.confirmed`` events for them. The
subscriber's handlers are wired as the runner wires them (``inbox_handlers``:
one unit of work per fetched run of events); the baseline wires the per-message
``handled_once`` handler alone, as the runner did before. The clock runs from the
first event reaching a handler to the last commit. Afterwards the database must hold
every event once: ``EVENTS`` claims and ``EVENTS`` orders counted.

The batched wiring also runs in one and in two subscriber processes
(``tests/bench/processes/subscriber.py``), each its own interpreter, in one consumer group
or on one queue, as two replicas of the subscriber would. The clock runs from the first
event reaching a handler in any process to the last commit in any of them.

Call ``run(kafka_bootstrap, rabbitmq_url, run_id)``; it returns two figures per broker:
batched against one transaction per message, and two processes against one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import aio_pika
import aiomysql

from shared.db import UnitOfWork, create_pool, handled_once, row_placeholders
from shared.envelope import Envelope, wrap
from shared.events import Event, Money, OrderConfirmedV1
from shared.heap import freeze_startup_heap
from shared.messaging import (
    BatchHandler,
    Handler,
    Subscription,
    queue_name,
)
from shared.messaging.factory import create_broker_publisher, create_consumer
from shared.messaging.rabbitmq.topology import declare_subscriber_queue
from shared.service import migrate_database
from shared.settings import BrokerKind, MySQLSettings, Settings, load_settings
from subscribers.catalog import Subscriber, subscriber_for
from subscribers.runner import inbox_handlers
from tests.bench.figure import Figure, comparison
from tests.bench.groups import Brokers, Step
from tests.bench.measure.rounds import side_by_side
from tests.bench.measure.timing import wait_until
from tests.bench.processes.subscriber import SubscriberProcess, SubscriberReport
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from tests.support.rabbitmq import delete_exchanges, delete_subscriber_queue, open_channel
from user_service.config import SERVICE as USER_SERVICE

log = logging.getLogger("bench")

ROUNDS = 1  # the one-transaction-per-message baseline alone takes about a minute a round
PROCESS_ROUNDS = 3  # a few seconds a run: medians of three, as two processes may gain little
PROCESSES = 2
USERS = 2_000
EVENTS = 20_000
FILL_CHUNK = 500
PARTITIONS = 6
FETCH_MAX_WAIT_MS = 10  # Tansu answers a waiting fetch only at its deadline
SESSION_TIMEOUT_MS = 3_000  # Tansu holds a group join for half of it; joins are not timed
PREFETCH = 256
CONSUME_TIMEOUT_S = 300.0
FILL_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
SOURCE = "urn:eda:order-service"


class Throughput:
    """Events committed per second, from the first event reaching a handler to the last commit."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self._first = 0.0
        self._last = 0.0
        self.done = asyncio.Event()

    def started(self) -> None:
        if self._first == 0.0:
            self._first = time.perf_counter()

    def committed(self, events: int) -> None:
        self.count += events
        self._last = time.perf_counter()
        if self.count >= self.expected:
            self.done.set()

    @property
    def rate(self) -> float:
        return self.count / (self._last - self._first)


Wiring = Callable[
    [Subscriber, Settings, aiomysql.Pool, Throughput], tuple[Handler, BatchHandler | None]
]


def batched(
    subscriber: Subscriber, settings: Settings, pool: aiomysql.Pool, clock: Throughput
) -> tuple[Handler, BatchHandler | None]:
    """The runner's wiring: a run of events per unit of work, one at a time as fallback."""
    handle, handle_many = inbox_handlers(subscriber, settings, pool, after_commit=_nothing)
    return _timed_one(handle, clock), _timed_many(handle_many, clock)


def per_message(
    subscriber: Subscriber, settings: Settings, pool: aiomysql.Pool, clock: Throughput
) -> tuple[Handler, BatchHandler | None]:
    """The baseline: one unit of work per event."""
    return _timed_one(
        handled_once(pool, subscriber.name, subscriber.handlers(settings).one), clock
    ), None


def _nothing() -> None:
    """No relay to wake: ``order.confirmed`` writes no events of its own."""


def _timed_one(handle: Handler, clock: Throughput) -> Handler:
    async def timed(event: Event, envelope: Envelope) -> None:
        clock.started()
        await handle(event, envelope)
        clock.committed(1)

    return timed


def _timed_many(handle_many: BatchHandler, clock: Throughput) -> BatchHandler:
    async def timed(events: Sequence[tuple[Event, Envelope]]) -> None:
        clock.started()
        await handle_many(events)
        clock.committed(len(events))

    return timed


async def run(kafka_bootstrap: str, rabbitmq_url: str, run_id: str) -> list[Figure]:
    rng = random.Random(7)
    users = [UUID(int=rng.getrandbits(128), version=4) for _ in range(USERS)]
    envelopes = order_confirmed_envelopes(users, EVENTS, rng)
    # A subscriber process freezes its start-up heap (``subscriber run``) and holds no
    # prepared events; this process holds 20,000 of them, which the garbage collector
    # would otherwise rescan on every full collection during the timed runs.
    freeze_startup_heap()
    figures = []
    for kind, settings in (
        (BrokerKind.KAFKA, kafka_settings(kafka_bootstrap, run_id)),
        (BrokerKind.RABBITMQ, rabbitmq_settings(rabbitmq_url, run_id)),
    ):
        try:
            figures.append(await _broker_figure(kind, settings, users, envelopes))
            figures.append(await _processes_figure(kind, settings, users, envelopes))
        finally:
            if kind is BrokerKind.RABBITMQ:
                await _delete_exchanges(settings)
    return figures


def kafka_settings(bootstrap: str, run_id: str) -> Settings:
    return load_settings(
        source=SOURCE,
        default_broker=BrokerKind.KAFKA,
        kafka={
            "bootstrap_servers": bootstrap,
            "topic_prefix": f"bench-{run_id}.subscriber.",
            "partitions": PARTITIONS,
            "idempotent_producer": False,  # Tansu refuses it
            "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
            "session_timeout_ms": SESSION_TIMEOUT_MS,
        },
    )


def rabbitmq_settings(url: str, run_id: str) -> Settings:
    return load_settings(
        source=SOURCE,
        default_broker=BrokerKind.RABBITMQ,
        rabbitmq={"url": url, "exchange": f"bench-{run_id}.subscriber", "prefetch": PREFETCH},
    )


def order_confirmed_envelopes(users: list[UUID], count: int, rng: random.Random) -> list[Envelope]:
    at = datetime.now(UTC)
    return [
        wrap(
            OrderConfirmedV1(
                order_id=UUID(int=rng.getrandbits(128), version=4),
                user_id=rng.choice(users),
                total=Money(amount=Decimal(rng.randint(100, 99_999)) / 100, currency="EUR"),
                confirmed_at=at,
            ),
            source=SOURCE,
        )
        for _ in range(count)
    ]


async def _broker_figure(
    kind: BrokerKind, settings: Settings, users: list[UUID], envelopes: list[Envelope]
) -> Figure:
    subscriber = subscriber_for(OrderConfirmedV1.event_type)
    name = kind.value

    def contestant(wiring: Wiring, tag: str) -> Callable[[int], Awaitable[float]]:
        async def once(round_number: int) -> float:
            run_settings = _isolated(settings, f"{tag}-{round_number}")
            return await consume_once(run_settings, subscriber, wiring, users, envelopes)

        return once

    log.info(
        "%s subscriber: %d order.confirmed events over %d users, %d rounds",
        name,
        len(envelopes),
        len(users),
        ROUNDS,
    )
    rates = await side_by_side(
        {"batched": contestant(batched, "b"), "per-message": contestant(per_message, "m")},
        ROUNDS,
    )
    return comparison(
        f"{name}.subscriber.order-confirmed.batched",
        rates["batched"],
        f"{name}.subscriber.order-confirmed.per-message",
        rates["per-message"],
        unit="events/s",
    )


async def _processes_figure(
    kind: BrokerKind, settings: Settings, users: list[UUID], envelopes: list[Envelope]
) -> Figure:
    subscriber = subscriber_for(OrderConfirmedV1.event_type)
    name = kind.value

    def contestant(processes: int) -> Callable[[int], Awaitable[float]]:
        async def once(round_number: int) -> float:
            run_settings = _isolated(settings, f"p{processes}-{round_number}")
            return await consume_in_processes(run_settings, subscriber, users, envelopes, processes)

        return once

    log.info(
        "%s subscriber, batched: 1 and %d processes, %d rounds", name, PROCESSES, PROCESS_ROUNDS
    )
    rates = await side_by_side(
        {"1": contestant(1), str(PROCESSES): contestant(PROCESSES)}, PROCESS_ROUNDS
    )
    prefix = f"{name}.subscriber.order-confirmed.processes"
    return comparison(
        f"{prefix}.{PROCESSES}",
        rates[str(PROCESSES)],
        f"{prefix}.1",
        rates["1"],
        unit="events/s",
    )


def _isolated(settings: Settings, tag: str) -> Settings:
    """The same broker under names of this run's own: topic and group, or queue."""
    kafka = settings.kafka.model_copy(
        update={"topic_prefix": f"{settings.kafka.topic_prefix}{tag}."}
    )
    rabbitmq = settings.rabbitmq.model_copy(
        update={"queue_prefix": f"{settings.rabbitmq.exchange}.{tag}."}
    )
    return settings.model_copy(update={"kafka": kafka, "rabbitmq": rabbitmq})


async def consume_once(
    settings: Settings,
    subscriber: Subscriber,
    wiring: Wiring,
    users: list[UUID],
    envelopes: list[Envelope],
) -> float:
    subscription = Subscription(subscriber.name, subscriber.event_type)
    async with users_database(users) as database, destination(settings, subscription):
        pool = database.pool
        await prefill(settings, envelopes)
        clock = Throughput(len(envelopes))
        handle, handle_many = wiring(subscriber, settings, pool, clock)
        consumer = create_consumer(settings, subscription, handle, batch_handler=handle_many)
        running = asyncio.create_task(consumer.run())
        try:
            await _wait(clock, running)
        finally:
            consumer.stop()
            await running
        await _check_effects(pool, subscriber.name, len(envelopes))
    return clock.rate


async def consume_in_processes(
    settings: Settings,
    subscriber: Subscriber,
    users: list[UUID],
    envelopes: list[Envelope],
    processes: int,
) -> float:
    """The batched wiring in ``processes`` subscriber processes sharing the topic or queue."""
    subscription = Subscription(subscriber.name, subscriber.event_type)
    async with users_database(users) as database, destination(settings, subscription):
        await prefill(settings, envelopes)
        config = child_config(settings, database.settings)
        children = [await SubscriberProcess.start(config) for _ in range(processes)]
        try:
            await asyncio.gather(*(child.ready(READY_TIMEOUT_S) for child in children))
            for child in children:
                child.go()  # together: one group join (Kafka) for all of them

            async def all_processed() -> bool:
                for child in children:
                    child.check_running()
                return await _claims(database.pool, subscriber.name) >= len(envelopes)

            await wait_until(all_processed, CONSUME_TIMEOUT_S, f"{len(envelopes)} events claimed")
            reports = [await child.stop(STOP_TIMEOUT_S) for child in children]
        finally:
            for child in children:
                await child.kill()
        await _check_effects(database.pool, subscriber.name, len(envelopes))
    return _combined_rate(reports, len(envelopes))


def _combined_rate(reports: list[SubscriberReport], expected: int) -> float:
    """Events per second from the first arrival in any process to the last commit in any."""
    working = [report for report in reports if report.events]
    started = min(report.first for report in working)
    finished = max(report.last for report in working)
    handled = sum(report.events for report in reports)
    log.info(
        "%d process(es): events %s (%d handled more than once), CPU %s us/event",
        len(reports),
        "/".join(str(report.events) for report in reports),
        handled - expected,
        "/".join(f"{report.cpu_s * 1e6 / max(report.events, 1):.0f}" for report in reports),
    )
    return expected / (finished - started)


def child_config(settings: Settings, mysql: MySQLSettings) -> dict[str, Any]:
    """What a subscriber process passes to ``load_settings``: the same broker, names and
    database as this process."""
    return {
        "source": settings.source,
        "default_broker": settings.default_broker.value,
        "kafka": settings.kafka.model_dump(mode="json"),
        "rabbitmq": settings.rabbitmq.model_dump(mode="json"),
        "mysql": mysql.model_dump(mode="json"),
    }


async def _claims(pool: aiomysql.Pool, subscriber: str) -> int:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(
            "SELECT COUNT(*) FROM processed_events WHERE subscriber = %s", (subscriber,)
        )
    return int(row[0]) if row else 0


async def _wait(clock: Throughput, running: asyncio.Task[None]) -> None:
    done = asyncio.create_task(clock.done.wait())
    try:
        await asyncio.wait(
            {done, running}, timeout=CONSUME_TIMEOUT_S, return_when="FIRST_COMPLETED"
        )
    finally:
        done.cancel()
    if clock.done.is_set():
        return
    if running.done():
        running.result()
    raise TimeoutError(
        f"{clock.count} of {clock.expected} events committed in {CONSUME_TIMEOUT_S}s"
    )


async def _check_effects(pool: aiomysql.Pool, subscriber: str, expected: int) -> None:
    async with UnitOfWork(pool) as uow:
        claimed = await uow.fetchone(
            "SELECT COUNT(*) FROM processed_events WHERE subscriber = %s", (subscriber,)
        )
        counted = await uow.fetchone("SELECT SUM(orders_count) FROM users")
    found = (int(claimed[0]) if claimed else 0, int(counted[0]) if counted else 0)
    if found != (expected, expected):
        raise AssertionError(f"expected {expected} claims and orders counted, found {found}")


@dataclass(frozen=True, slots=True)
class UsersDatabase:
    settings: MySQLSettings
    pool: aiomysql.Pool


@asynccontextmanager
async def users_database(users: list[UUID]) -> AsyncIterator[UsersDatabase]:
    """A throwaway, migrated users database holding the users the events name."""
    mysql = mysql_settings_for_tests()
    async with throwaway_database(mysql) as name:
        settings = mysql.model_copy(update={"database": name, "pool_max_size": 10})
        await migrate_database(USER_SERVICE, settings)
        pool = await create_pool(settings)
        try:
            await _add_users(pool, users)
            yield UsersDatabase(settings, pool)
        finally:
            pool.close()
            await pool.wait_closed()


async def _add_users(pool: aiomysql.Pool, users: list[UUID]) -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    async with UnitOfWork(pool) as uow:
        for start in range(0, len(users), FILL_CHUNK):
            chunk = users[start : start + FILL_CHUNK]
            await uow.execute(
                "INSERT INTO users (id, email, name, status, orders_count, created_at)"
                f" VALUES {row_placeholders(len(chunk), 6)}",
                [
                    value
                    for user in chunk
                    for value in (str(user), f"{user}@example.com", "Bench", "active", 0, created)
                ],
            )
        await uow.commit()


@asynccontextmanager
async def destination(settings: Settings, subscription: Subscription) -> AsyncIterator[None]:
    """The subscription's topic (created by the first publish) or queue, deleted afterwards."""
    if settings.default_broker is BrokerKind.KAFKA:
        yield  # Tansu keeps topics in memory; each run has its own prefix
        return
    connection = await aio_pika.connect(settings.rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        await declare_subscriber_queue(channel, settings.rabbitmq, subscription)
        try:
            yield
        finally:
            await delete_subscriber_queue(channel, settings.rabbitmq, subscription.subscriber)


async def prefill(settings: Settings, envelopes: list[Envelope]) -> None:
    publisher = create_broker_publisher(settings, settings.default_broker)
    await publisher.start()
    try:
        for start in range(0, len(envelopes), FILL_CHUNK):
            await publisher.publish_many(envelopes[start : start + FILL_CHUNK])
    finally:
        await publisher.close()
    if settings.default_broker is BrokerKind.RABBITMQ:
        await _until_queued(settings, len(envelopes))


async def _until_queued(settings: Settings, count: int) -> None:
    """Quorum queues confirm before the count shows every message: wait for the count."""
    connection = await aio_pika.connect(settings.rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        name = queue_name(settings.rabbitmq, subscriber_for(OrderConfirmedV1.event_type).name)

        async def queued() -> bool:
            queue = await channel.declare_queue(name, passive=True)
            return (queue.declaration_result.message_count or 0) >= count

        await wait_until(queued, FILL_TIMEOUT_S, f"{count} messages in {name}")


async def _delete_exchanges(settings: Settings) -> None:
    async with open_channel(settings.rabbitmq) as channel:
        await delete_exchanges(channel, settings.rabbitmq)


def steps(brokers: Brokers, run_id: str) -> list[Step]:
    return [functools.partial(run, brokers.kafka_bootstrap, brokers.rabbitmq_url, run_id)]
