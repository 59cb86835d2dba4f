"""With its relay running, the app publishes committed outbox rows at once (RabbitMQ here)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from shared.envelope import decode
from shared.outbox.relay import outbox_backlog
from shared.settings import BrokerKind, MySQLSettings
from tests.integration.user_service.support import settings_for
from tests.support.polling import eventually
from user_service.bootstrap import UserServiceSettings
from user_service.entrypoints.app import create_app


@pytest.fixture
async def settings(mysql: MySQLSettings) -> AsyncIterator[UserServiceSettings]:
    base = settings_for(mysql)
    rabbitmq = base.platform.rabbitmq.model_copy(update={"exchange": f"users-{uuid.uuid4().hex}"})
    platform = base.platform.model_copy(
        update={"default_broker": BrokerKind.RABBITMQ, "rabbitmq": rabbitmq}
    )
    yield UserServiceSettings(platform=platform, service=base.service)
    connection = await aio_pika.connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(f"{rabbitmq.exchange}.unrouted")
        await channel.exchange_delete(rabbitmq.exchange)
        await channel.exchange_delete(f"{rabbitmq.exchange}.unrouted")


@pytest.fixture
async def relaying_app(settings: UserServiceSettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings, run_relay=True)
    async with app.router.lifespan_context(app):
        yield app


async def test_changes_are_published_in_order_and_marked_sent(
    relaying_app: FastAPI, settings: UserServiceSettings, pool: aiomysql.Pool
) -> None:
    transport = httpx.ASGITransport(app=relaying_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://user-service") as client:
        await eventually(
            lambda: _ready(client), timeout=10, what="relay running and database reachable"
        )
        user = (await client.post("/users", json={"email": "a@b.io", "name": "A"})).json()
        await client.post(f"/users/{user['id']}/deactivate")

    async def all_sent() -> bool:
        return await outbox_backlog(pool) == 0

    await eventually(all_sent, timeout=20, what="outbox drained")
    # No subscriber is bound yet, so the messages wait in the exchange's parking queue.
    connection = await aio_pika.connect(settings.platform.rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(f"{settings.platform.rabbitmq.exchange}.unrouted")
        received = []
        for _ in range(2):
            message = await queue.get(timeout=5)
            received.append(decode(message.body))
            await message.ack()
    assert [(envelope.type, envelope.subject) for envelope in received] == [
        ("user.registered", user["id"]),
        ("user.deactivated", user["id"]),
    ]


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
