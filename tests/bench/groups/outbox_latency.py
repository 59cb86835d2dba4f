"""Outbox latency: row committed → handler of a subscriber called, at a steady rate.

A writer commits one ``order.placed`` row per transaction at fixed times (open
loop: a slow commit does not delay the next one) and wakes the relay after each
commit, as the services do. The relay publishes; a ``shared`` consumer calls the
handler. The writer notes the clock right after its commit returns, the handler
notes it when called; both run in this process, so one monotonic clock measures
the whole path. The first seconds are a warm-up and are not counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import suppress
from uuid import uuid4

import aiomysql

from shared.db import UnitOfWork
from shared.envelope import Envelope
from shared.events.base import Event
from shared.messaging import Consumer, RoutingPublisher, Subscription, create_consumer
from shared.outbox import OutboxRelay, add_to_outbox
from shared.settings import BrokerKind, MySQLSettings, RabbitMQSettings, Settings, load_settings
from tests.bench.figure import Figure
from tests.bench.measure.latency import summarise
from tests.bench.measure.timing import wait_until
from tests.support.broker_readback import rabbitmq_topology
from tests.support.event_payloads import EVENT_TYPE
from tests.support.outbox_data import outbox_database, outbox_events
from tests.support.relay_process import kafka_settings

log = logging.getLogger("bench")

RATE = 500.0
WARMUP_S = 2.0
MEASURE_S = 10.0
AGGREGATES = 2_000
POOL_SIZE = 10  # the services' default
START_TIMEOUT_S = 30.0
ARRIVAL_TIMEOUT_S = 30.0


class LatencyProbe:
    """Commit and arrival times by event id, on the same monotonic clock."""

    def __init__(self) -> None:
        self.committed: dict[str, float] = {}
        self.arrived: dict[str, float] = {}

    async def handle(self, event: Event, envelope: Envelope) -> None:
        self.arrived.setdefault(envelope.id, time.perf_counter())

    def latencies(self, envelopes: Sequence[Envelope]) -> list[float]:
        return [
            self.arrived[e.id] - self.committed[e.id] for e in envelopes if e.id in self.arrived
        ]


async def commit_one(
    pool: aiomysql.Pool, relay: OutboxRelay, envelope: Envelope, probe: LatencyProbe
) -> None:
    async with UnitOfWork(pool) as uow:
        await add_to_outbox(uow, [envelope])
        await uow.commit()
    probe.committed[envelope.id] = time.perf_counter()
    relay.wake()


async def write_at_rate(
    pool: aiomysql.Pool,
    relay: OutboxRelay,
    envelopes: Sequence[Envelope],
    rate: float,
    probe: LatencyProbe,
) -> float:
    """Start one commit every ``1 / rate`` seconds; return the largest lag behind schedule."""
    writers: set[asyncio.Task[None]] = set()
    max_lag = 0.0
    origin = time.perf_counter()
    for index, envelope in enumerate(envelopes):
        delay = origin + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing, not synchronisation
        else:
            max_lag = max(max_lag, -delay)
        writer = asyncio.create_task(commit_one(pool, relay, envelope, probe))
        writers.add(writer)
        writer.add_done_callback(writers.discard)
    await asyncio.gather(*writers)
    return max_lag


async def measure(settings: Settings, mysql: MySQLSettings, subscriber: str) -> list[float]:
    warmup = round(WARMUP_S * RATE)
    envelopes = outbox_events(warmup + round(MEASURE_S * RATE) + 1, AGGREGATES, seed=31)
    primer, steady = envelopes[0], envelopes[1:]
    probe = LatencyProbe()
    async with outbox_database(mysql, pool_max_size=POOL_SIZE) as (_, pool):
        publisher = RoutingPublisher(settings)
        relay = OutboxRelay(pool, publisher, settings.outbox)
        consumer = create_consumer(settings, Subscription(subscriber, EVENT_TYPE), probe.handle)
        tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
        try:
            # One event through the whole path first: topic, group join, queue, connections.
            await _started(consumer, tasks)
            await commit_one(pool, relay, primer, probe)
            await _arrived(probe, [primer], START_TIMEOUT_S)
            max_lag = await write_at_rate(pool, relay, steady, RATE, probe)
            await _arrived(probe, steady, ARRIVAL_TIMEOUT_S)
        finally:
            consumer.stop()
            relay.stop()
            with suppress(Exception):
                await asyncio.gather(*tasks)
            await publisher.close()
    measured = steady[warmup:]
    log.info("writer at most %.1f ms behind schedule", max_lag * 1000)
    return probe.latencies(measured)


async def _started(consumer: Consumer, tasks: list[asyncio.Task[None]]) -> None:
    async def ready() -> bool:
        for task in tasks:
            if task.done():
                task.result()  # its error, or the news that it ended early
                raise RuntimeError("the consumer or the relay stopped before starting")
        return consumer.ready

    await wait_until(ready, START_TIMEOUT_S, "the consumer to subscribe")


async def _arrived(probe: LatencyProbe, envelopes: Sequence[Envelope], timeout_s: float) -> None:
    async def all_arrived() -> bool:
        return all(envelope.id in probe.arrived for envelope in envelopes)

    await wait_until(all_arrived, timeout_s, f"{len(envelopes)} events to reach the handler")


def latency_figures(broker: str, latencies: list[float]) -> list[Figure]:
    summary = summarise(latencies)
    log.info("outbox latency on %s at %.0f events/s: %s", broker, RATE, summary.describe())
    prefix = f"outbox.latency.{broker}"
    return [
        Figure(f"{prefix}.p50", summary.p50_ms, "ms"),
        Figure(f"{prefix}.p99", summary.p99_ms, "ms"),
    ]


async def kafka_latency_figures(bootstrap: str, mysql: MySQLSettings, run_id: str) -> list[Figure]:
    kafka = kafka_settings(bootstrap, f"bench-{run_id}.latency.")
    settings = load_settings(default_broker=BrokerKind.KAFKA, kafka=kafka.model_dump())
    return latency_figures("kafka", await measure(settings, mysql, f"latency-{uuid4().hex[:8]}"))


async def rabbitmq_latency_figures(
    rabbitmq: RabbitMQSettings, mysql: MySQLSettings, run_id: str
) -> list[Figure]:
    settings = load_settings(default_broker=BrokerKind.RABBITMQ, rabbitmq=rabbitmq.model_dump())
    subscriber = f"bench-{run_id}.latency"
    async with rabbitmq_topology(rabbitmq) as topology:
        topology.adopt(subscriber)
        latencies = await measure(settings, mysql, subscriber)
    return latency_figures("rabbitmq", latencies)
