"""With its relay running, a service publishes committed outbox rows at once, in order
per aggregate (RabbitMQ on a private exchange here; no subscriber is bound yet)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from shared.envelope import decode
from shared.messaging import unrouted_name
from shared.service import ServiceSettings
from shared.settings import BrokerKind
from tests.integration.services.changes import TWO_CHANGES
from tests.support.mysql import database_pool
from tests.support.outbox import unpublished
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology, open_channel
from tests.support.service_apps import UNDER_TEST

# The relay publishes to the local RabbitMQ.
pytestmark = [pytest.mark.rabbitmq]


@pytest.fixture
async def on_rabbitmq(service_settings: ServiceSettings) -> AsyncIterator[ServiceSettings]:
    platform = service_settings.platform
    rabbitmq = platform.rabbitmq.model_copy(update={"exchange": f"relay-{uuid.uuid4().hex}"})
    platform = platform.model_copy(
        update={"default_broker": BrokerKind.RABBITMQ, "rabbitmq": rabbitmq}
    )
    yield ServiceSettings(service_settings.service, platform, service_settings.http)
    await delete_topology(rabbitmq, [])


@pytest.fixture
async def relaying_app(service_name: str, on_rabbitmq: ServiceSettings) -> AsyncIterator[FastAPI]:
    app = UNDER_TEST[service_name].create_app(on_rabbitmq, run_relay=True)
    async with app.router.lifespan_context(app):
        yield app


async def test_changes_are_published_in_order_and_marked_sent(
    service_name: str, relaying_app: FastAPI, on_rabbitmq: ServiceSettings
) -> None:
    pool: aiomysql.Pool = relaying_app.state.runtime.pool
    changes, event_types = TWO_CHANGES[service_name]
    transport = httpx.ASGITransport(app=relaying_app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service_name}") as client:
        await eventually(lambda: _ready(client), timeout=10, what="relay running, database up")
        subject = await changes(client, "")

    async def all_sent() -> bool:
        return await unpublished(pool) == 0

    await eventually(all_sent, timeout=20, what="outbox drained")
    rabbitmq = on_rabbitmq.platform.rabbitmq
    async with open_channel(rabbitmq) as channel:
        # No subscriber is bound yet, so the messages wait in the exchange's parking queue.
        queue = await channel.get_queue(unrouted_name(rabbitmq))
        received = []
        for _ in event_types:
            message = await queue.get(timeout=5)
            received.append(decode(message.body))
            await message.ack()
    assert [(envelope.type, envelope.subject) for envelope in received] == [
        (event_type, subject) for event_type in event_types
    ]
    assert {envelope.source for envelope in received} == {f"urn:eda:{service_name}"}


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def test_requests_and_the_relay_never_switch_a_connections_isolation(
    service_name: str, relaying_app: FastAPI, on_rabbitmq: ServiceSettings
) -> None:
    """The relay reads at READ COMMITTED, requests at REPEATABLE READ: on connections of
    their own, neither sends a SET per request (two per request on a shared pool)."""
    runtime = relaying_app.state.runtime
    changes, _ = TWO_CHANGES[service_name]
    transport = httpx.ASGITransport(app=relaying_app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service_name}") as client:
        await eventually(lambda: _ready(client), timeout=10, what="relay running, database up")
        for _ in range(3):
            await changes(client, uuid.uuid4().hex)

            async def all_sent() -> bool:
                return await unpublished(runtime.pool) == 0

            await eventually(all_sent, timeout=20, what="outbox drained")
    async with database_pool(
        on_rabbitmq.platform.mysql, on_rabbitmq.platform.mysql.database
    ) as fresh:
        at_connect = (await _sets_per_connection(fresh))[0]
    sets = [
        count - at_connect
        for pool in (runtime.pool, runtime.relay_pool)
        for count in await _sets_per_connection(pool)
    ]
    # one per relay connection at most, the first time it is used; none per request
    assert sum(sets) <= runtime.relay_pool.maxsize, f"isolation SETs per connection: {sets}"


async def _sets_per_connection(pool: aiomysql.Pool) -> list[int]:
    """The SET statements each of the pool's connections sent so far (idle ones, or a
    new one if none is idle)."""
    connections = [await pool.acquire() for _ in range(max(1, pool.freesize))]
    try:
        counts = []
        for connection in connections:
            async with connection.cursor() as cursor:
                await cursor.execute("SHOW SESSION STATUS LIKE 'Com_set_option'")
                row = await cursor.fetchone()
                counts.append(int(row[1]))
        return counts
    finally:
        for connection in connections:
            pool.release(connection)
