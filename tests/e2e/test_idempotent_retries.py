"""Clients that retry with an Idempotency-Key never place an order twice: 2,000 orders
from 50 clients while the database link is cut for 10 s and a share of the answers is
lost after the commit; every client retries with its key. The orders database then
holds exactly 2,000 orders and 2,000 order.placed events, and every user's stats are
exact."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from eda_cli.load.pacing import closed_loop
from eda_cli.load.retries import post_with_key
from eda_cli.load.tally import Tally
from tests.e2e.faulty_system import FaultySystem, faulty_system
from tests.e2e.held_orders import orders_of, stats_mismatches
from tests.e2e.retrying_load import projected_users, shuffled_orders
from tests.support.answer_dropper import dropping_answers
from tests.support.mysql import connect_for_tests
from tests.support.orders import one_item_order
from tests.support.polling import eventually

# The whole system as processes: MariaDB, RabbitMQ and a Tansu of its own.
pytestmark = [
    pytest.mark.mysql,
    pytest.mark.kafka,
    pytest.mark.rabbitmq,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(420),
]

USERS = 100
ORDERS_PER_USER = 20
CLIENTS = 50
CUT_S = 10.0
DROPPED_SHARE = 0.05
ATTEMPTS = 60
"""Enough for a key through a 10 s cut and its 10 s claim timeout, at 1-2 s apart."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def faulty(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultySystem]:
    async with faulty_system("mixed", tmp_path_factory.mktemp("retries")) as running:
        yield running


async def _count(system_database: str, sql: str) -> int:
    connection = await connect_for_tests(system_database)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(sql)
            row = await cursor.fetchone()
    finally:
        connection.close()
    return int(row[0])


async def test_retried_orders_are_placed_exactly_once(faulty: FaultySystem) -> None:
    system = faulty.system
    limits = httpx.Limits(max_connections=CLIENTS + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        users = await projected_users(client, system, USERS)
        orders = shuffled_orders(users, ORDERS_PER_USER)
        prices = dict(orders)  # one price a user
        orders_port = urlsplit(system.orders_url).port
        assert orders_port is not None
        async with dropping_answers("127.0.0.1", orders_port, DROPPED_SHARE) as dropper:
            answers: Counter[int] = Counter()
            placed: set[str] = set()

            async def place(index: int) -> str:
                user_id, price = orders[index]
                body = one_item_order(user_id, sku="book", quantity=1, unit_price=price)
                response = await post_with_key(
                    client,
                    f"http://127.0.0.1:{dropper.port}/orders",
                    json=body,
                    attempts=ATTEMPTS,
                )
                answers[response.status_code] += 1
                assert response.status_code == 202, response.text
                placed.add(str(response.json()["id"]))
                return "202"

            async def placed_at_least(count: int) -> bool:
                return len(placed) >= count

            placing = asyncio.create_task(
                closed_loop(place, Tally("orders", 202), clients=CLIENTS, count=len(orders))
            )
            await eventually(functools.partial(placed_at_least, len(orders) // 6), timeout=120)
            await faulty.cut("mysql", CUT_S)
            await placing
            dropped = dropper.dropped
        assert len(placed) == len(orders)
        database = system.layout.orders_database
        held = await orders_of(system, users)
        order_count = sum(len(found) for found in held.values())
        events = await _count(
            database, "SELECT COUNT(*) FROM outbox WHERE event_type = 'order.placed'"
        )
        print(
            f"\n{len(orders)} orders sent by {CLIENTS} clients; mysql link cut for"
            f" {CUT_S:.0f} s; {dropped} answers dropped after the commit;"
            f" final answers {dict(answers)}; the database holds {order_count} orders"
            f" and {events} order.placed events"
        )
        assert order_count == len(orders)
        assert events == len(orders)
        expected = {
            user: (ORDERS_PER_USER, Decimal(prices[user]) * ORDERS_PER_USER) for user in users
        }

        async def stats_exact() -> bool:
            return await stats_mismatches(client, system, expected) == 0

        await eventually(stats_exact, timeout=150, interval=1, what="every user's stats exact")
        assert dropped > 0
