"""With its relay running, the app publishes committed outbox rows at once, in order
per order (RabbitMQ on a private exchange here; no subscriber is bound yet)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from order_service.bootstrap import bootstrap
from order_service.config import ServiceSettings
from order_service.entrypoints.app import create_app
from shared.envelope import decode
from shared.outbox.relay import outbox_backlog
from shared.settings import BrokerKind, Settings
from tests.integration.order_service.support import order_body
from tests.support.polling import eventually


@pytest.fixture
async def rabbitmq_settings(settings: Settings) -> AsyncIterator[Settings]:
    rabbitmq = settings.rabbitmq.model_copy(update={"exchange": f"orders-{uuid.uuid4().hex}"})
    yield settings.model_copy(update={"default_broker": BrokerKind.RABBITMQ, "rabbitmq": rabbitmq})
    connection = await aio_pika.connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(f"{rabbitmq.exchange}.unrouted")
        await channel.exchange_delete(rabbitmq.exchange)
        await channel.exchange_delete(f"{rabbitmq.exchange}.unrouted")


@pytest.fixture
async def relaying_app(rabbitmq_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(ServiceSettings(), partial(bootstrap, rabbitmq_settings), run_relay=True)
    async with app.router.lifespan_context(app):
        yield app


async def test_placed_and_cancelled_are_published_in_order_and_marked_sent(
    relaying_app: FastAPI, rabbitmq_settings: Settings
) -> None:
    pool = relaying_app.state.runtime.pool
    transport = httpx.ASGITransport(app=relaying_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://order-service") as client:
        order = (await client.post("/orders", json=order_body())).json()
        assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200

    async def all_sent() -> bool:
        return await outbox_backlog(pool) == 0

    await eventually(all_sent, timeout=20, what="outbox drained")
    connection = await aio_pika.connect(rabbitmq_settings.rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(f"{rabbitmq_settings.rabbitmq.exchange}.unrouted")
        received = []
        for _ in range(2):
            message = await queue.get(timeout=5)
            received.append(decode(message.body))
            await message.ack()
    assert [(envelope.type, envelope.subject) for envelope in received] == [
        ("order.placed", order["id"]),
        ("order.cancelled", order["id"]),
    ]
    assert received[0].source == "urn:eda:order-service"
