"""Two relay replicas as processes drain one outbox; one is killed with SIGKILL in
the middle of its work. The other takes over its buckets: every event reaches the
broker, each aggregate's events in order (a batch the dead relay sent but had not
marked is sent again: duplicates, which consumers absorb)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiomysql
import pytest

from shared.db import UnitOfWork
from shared.messaging import topic_for
from shared.settings import BrokerKind, MySQLSettings, RabbitMQSettings
from tests.support.broker_readback import rabbitmq_topology, read_topic
from tests.support.delivery_audit import Delivered, audit
from tests.support.event_payloads import EVENT_TYPE
from tests.support.mysql import mysql_settings_for_tests
from tests.support.outbox_data import fill_outbox, outbox_database, outbox_events
from tests.support.polling import eventually
from tests.support.relay_process import RelayProcess, kafka_settings

# Relays on a throwaway database publishing to both brokers.
pytestmark = [pytest.mark.mysql, pytest.mark.rabbitmq]

EVENTS = 2_000
AGGREGATES = 20
# Small passes, one lane: many passes, so the kill lands inside one.
OUTBOX = {"batch_size": 40, "lanes": 1, "buckets_per_pass": 2, "idle_poll_s": 0.05}

Readback = Callable[[], Awaitable[list[Delivered]]]


@asynccontextmanager
async def destination(
    broker: str, bootstrap: str, tag: str
) -> AsyncIterator[tuple[dict[str, Any], Readback]]:
    if broker == "kafka":
        settings = kafka_settings(bootstrap, f"failover-{tag}.")

        async def read_kafka() -> list[Delivered]:
            return await read_topic(settings, topic_for(settings, EVENT_TYPE), 30)

        yield {"default_broker": BrokerKind.KAFKA, "kafka": settings.model_dump()}, read_kafka
        return
    async with rabbitmq_topology_for(tag) as (config, read_rabbit):
        yield config, read_rabbit


@asynccontextmanager
async def rabbitmq_topology_for(tag: str) -> AsyncIterator[tuple[dict[str, Any], Readback]]:
    async with rabbitmq_topology(RabbitMQSettings(exchange=f"failover-{tag}")) as topology:
        queue = await topology.declare_subscriber(f"failover-{tag}")

        async def read_rabbit() -> list[Delivered]:
            return await topology.drain(queue, 30)

        yield (
            {"default_broker": BrokerKind.RABBITMQ, "rabbitmq": topology.settings.model_dump()},
            (read_rabbit),
        )


async def _published(pool: aiomysql.Pool) -> int:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL")
    return int(row[0]) if row else 0


@pytest.mark.parametrize("broker", ["kafka", "rabbitmq"])
async def test_a_relay_killed_mid_batch_loses_nothing_and_keeps_order(
    broker: str, kafka_bootstrap: str
) -> None:
    rows = outbox_events(EVENTS, AGGREGATES, seed=11)
    tag = f"{broker}-{id(rows):x}"
    mysql: MySQLSettings = mysql_settings_for_tests()
    async with (
        destination(broker, kafka_bootstrap, tag) as (config, read_back),
        outbox_database(mysql) as (database, pool),
    ):
        await fill_outbox(pool, rows)
        relay_config = {**config, "mysql": database.model_dump(), "outbox": OUTBOX}
        victim, survivor = [await RelayProcess.start(relay_config) for _ in range(2)]
        try:
            await asyncio.gather(victim.ready(30), survivor.ready(30))
            victim.go()
            survivor.go()

            async def a_quarter_published() -> bool:
                return await _published(pool) >= EVENTS // 4

            await eventually(a_quarter_published, timeout=60, interval=0.005)
            await victim.kill()
            killed_at = await _published(pool)

            async def drained() -> bool:
                return await _published(pool) == EVENTS

            await eventually(drained, timeout=120, interval=0.05, what="the survivor draining")
            survivor_report = await survivor.stop(30)
        finally:
            await victim.kill()
            await survivor.kill()
        result = audit(rows, await read_back())
    print(
        f"\ninjected: SIGKILL of one of two relays after {killed_at} of {EVENTS} rows were"
        f" marked; the survivor published {survivor_report.published}; {result.describe()}"
    )
    assert result.missing == 0
    assert result.out_of_order == 0
    assert result.foreign == 2  # each relay's warm-up message, nothing else
