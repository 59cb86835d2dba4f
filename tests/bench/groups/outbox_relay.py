"""Outbox relay throughput: a pre-filled outbox drained by one relay, then by two.

Each run gets a fresh database holding the same events (``order.placed`` over
200 aggregates) and a fresh topic or queue. The relays run in processes of their
own (``tests.support.relay_process``), warmed up before the clock starts; the clock
runs from ``go`` until no row is pending. Then everything that reached the topic
or queue is read back and compared with the rows: duplicates, losses and
per-aggregate order.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from shared.envelope import Envelope
from shared.messaging import topic_for
from shared.settings import BrokerKind, MySQLSettings, RabbitMQSettings
from tests.bench.figure import Figure, comparison
from tests.bench.measure.rounds import side_by_side
from tests.bench.measure.timing import wait_until
from tests.support.broker_readback import RabbitTopology, rabbitmq_topology, read_topic
from tests.support.delivery_audit import Audit, Delivered, audit
from tests.support.event_payloads import EVENT_TYPE
from tests.support.outbox_data import (
    fill_outbox,
    has_pending,
    outbox_database,
    outbox_events,
)
from tests.support.relay_process import RelayProcess, kafka_settings

log = logging.getLogger("bench")

ROUNDS = 3
AGGREGATES = 200
KAFKA_EVENTS = 30_000
# RabbitMQ confirms about a sixth as many messages a second: fewer events keep the run short.
RABBITMQ_EVENTS = 10_000
POLL_S = 0.01
READY_TIMEOUT_S = 30.0
DRAIN_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
READBACK_TIMEOUT_S = 60.0

Readback = Callable[[], Awaitable[list[Delivered]]]


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one run's relays publish: their settings, and how to read it all back."""

    config: dict[str, Any]
    read_back: Readback


DestinationFactory = Callable[[str], AbstractAsyncContextManager[Destination]]


def kafka_destinations(bootstrap: str, run_id: str) -> DestinationFactory:
    @asynccontextmanager
    async def destination(tag: str) -> AsyncIterator[Destination]:
        settings = kafka_settings(bootstrap, f"bench-{run_id}.relay-{tag}.")

        async def read_back() -> list[Delivered]:
            topic = topic_for(settings, EVENT_TYPE)
            return await read_topic(settings, topic, READBACK_TIMEOUT_S)

        config = {"default_broker": BrokerKind.KAFKA, "kafka": settings.model_dump()}
        yield Destination(config, read_back)

    return destination


def rabbitmq_destinations(topology: RabbitTopology, run_id: str) -> DestinationFactory:
    @asynccontextmanager
    async def destination(tag: str) -> AsyncIterator[Destination]:
        subscriber = f"bench-{run_id}.relay-{tag}"
        queue = await topology.declare_subscriber(subscriber)

        async def read_back() -> list[Delivered]:
            return await topology.drain(queue, READBACK_TIMEOUT_S)

        config = {
            "default_broker": BrokerKind.RABBITMQ,
            "rabbitmq": topology.settings.model_dump(),
        }
        try:
            yield Destination(config, read_back)
        finally:
            await topology.delete_subscriber(subscriber)

    return destination


async def relay_once(
    mysql: MySQLSettings, destination: Destination, rows: Sequence[Envelope], relays: int
) -> tuple[float, Audit]:
    """Fill a fresh outbox, drain it with ``relays`` processes; return events/s and the audit."""
    async with outbox_database(mysql) as (database, pool):
        await fill_outbox(pool, rows)
        # Each relay process gets the pool size a service has, not the bench's small one.
        service_mysql = database.model_copy(update={"pool_max_size": MySQLSettings().pool_max_size})
        config = {**destination.config, "mysql": service_mysql.model_dump()}
        processes = [await RelayProcess.start(config) for _ in range(relays)]
        try:
            await asyncio.gather(*(process.ready(READY_TIMEOUT_S) for process in processes))
            started = time.perf_counter()
            for process in processes:
                process.go()

            async def drained() -> bool:
                return not await has_pending(pool)

            await wait_until(drained, DRAIN_TIMEOUT_S, "the outbox to drain", poll_s=POLL_S)
            elapsed = time.perf_counter() - started
            reports = [await process.stop(STOP_TIMEOUT_S) for process in processes]
        finally:
            for process in processes:
                await process.kill()
    result = audit(rows, await destination.read_back())
    cpu_s = sum(report.cpu_s for report in reports)
    log.info(
        "%d relay(s): %d rows in %.2fs, published %s, relay CPU %.0f µs/event (%.2f cores); %s",
        relays,
        len(rows),
        elapsed,
        [report.published for report in reports],
        cpu_s * 1e6 / len(rows),
        cpu_s / elapsed,
        result.describe(),
    )
    return len(rows) / elapsed, result


async def relay_figures(
    broker: str, destinations: DestinationFactory, mysql: MySQLSettings, events: int
) -> list[Figure]:
    rows = outbox_events(events, AGGREGATES, seed=21)
    log.info("outbox relay on %s: %d events over %d aggregates", broker, events, AGGREGATES)
    audits: list[Audit] = []

    def contestant(relays: int) -> Callable[[int], Awaitable[float]]:
        async def once(round_number: int) -> float:
            async with destinations(f"{relays}x-{round_number}") as destination:
                rate, result = await relay_once(mysql, destination, rows, relays)
            audits.append(result)
            return rate

        return once

    rates = await side_by_side({"1": contestant(1), "2": contestant(2)}, ROUNDS)
    prefix = f"outbox.relay.{broker}"
    return [
        Figure(f"{prefix}.1", statistics.median(rates["1"]), "events/s"),
        comparison(f"{prefix}.2", rates["2"], f"{prefix}.1", rates["1"], unit="events/s"),
        Figure(f"{prefix}.duplicates", sum(a.duplicates for a in audits), "messages"),
        Figure(f"{prefix}.missing", sum(a.missing for a in audits), "messages"),
        Figure(f"{prefix}.out_of_order", sum(a.out_of_order for a in audits), "messages"),
    ]


async def kafka_relay_figures(bootstrap: str, mysql: MySQLSettings, run_id: str) -> list[Figure]:
    return await relay_figures("kafka", kafka_destinations(bootstrap, run_id), mysql, KAFKA_EVENTS)


async def rabbitmq_relay_figures(
    settings: RabbitMQSettings, mysql: MySQLSettings, run_id: str
) -> list[Figure]:
    async with rabbitmq_topology(settings) as topology:
        destinations = rabbitmq_destinations(topology, run_id)
        return await relay_figures("rabbitmq", destinations, mysql, RABBITMQ_EVENTS)
