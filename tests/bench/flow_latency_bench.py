"""End-to-end latency of the whole flow, as processes: from the `POST /orders`
response to the user's stats updated (order.placed → order.confirmed → stats), per
broker, at a steady 200 orders/s, and the highest tried rate whose p99 stays under 1 s.

Both ends are read from the database's clock, not the load generator's (whose event
loop may note a response late): the start is when the order's `order.placed` row was
written in the request's transaction (`outbox.created_at`, just before the 202), the
end when the users context's order.confirmed subscriber recorded the event
(`processed_events.processed_at`, written in the same transaction as the stats).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiomysql
import httpx

from tests.bench.report import Figure, log
from tests.e2e.system import RunningSystem, running_system
from tests.support.mysql import mysql_settings_for_tests
from tests.support.polling import eventually

USERS = 400
STEADY_RATE = 200
STEADY_SECONDS = 10
RATE_STEPS = (400, 800)
STEP_SECONDS = 5


async def run(kafka_bootstrap: str) -> list[Figure]:
    figures: list[Figure] = []
    for routing in ("kafka", "rabbitmq"):
        with tempfile.TemporaryDirectory() as logs:
            async with running_system(routing, kafka_bootstrap, Path(logs)) as system:
                figures += await _measure(routing, system)
    return figures


async def _measure(routing: str, system: RunningSystem) -> list[Figure]:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        users = await _register(client, system)
        steady = await _latencies(client, system, users, STEADY_RATE, STEADY_SECONDS)
        log.info("%s: %d orders at %d/s", routing, len(steady), STEADY_RATE)
        sustained = STEADY_RATE if _p(steady, 99) < 1000 else 0
        for rate in RATE_STEPS:
            step = await _latencies(client, system, users, rate, STEP_SECONDS)
            log.info("%s: %d/s p99 %.0f ms", routing, rate, _p(step, 99))
            if _p(step, 99) >= 1000:
                break
            sustained = rate
    prefix = f"flow.post_to_stats.{routing}"
    return [
        Figure(f"{prefix}.p50_at_{STEADY_RATE}_per_s", _p(steady, 50), "ms"),
        Figure(f"{prefix}.p99_at_{STEADY_RATE}_per_s", _p(steady, 99), "ms"),
        Figure(f"{prefix}.highest_rate_with_p99_under_1s", sustained, "orders/s"),
    ]


async def _register(client: httpx.AsyncClient, system: RunningSystem) -> list[str]:
    limit = asyncio.Semaphore(50)

    async def one(index: int) -> str:
        async with limit:
            response = await client.post(
                f"{system.users_url}/users",
                json={"email": f"bench{index}@example.com", "name": f"b{index}"},
            )
            response.raise_for_status()
            return str(response.json()["id"])

    users = await asyncio.gather(*(one(i) for i in range(USERS)))
    await eventually(
        lambda: _count(system.layout.orders_database, "SELECT COUNT(*) FROM customers", USERS),
        timeout=120,
        what="every customer projected",
    )
    return list(users)


async def _latencies(
    client: httpx.AsyncClient, system: RunningSystem, users: list[str], rate: int, seconds: int
) -> list[float]:
    """Place orders open-loop at ``rate`` per second; return each order's latency in ms."""
    answered: dict[str, float] = {}
    started = time.monotonic()
    tasks = []
    for index in range(rate * seconds):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing of the open loop
        tasks.append(
            asyncio.create_task(_place(client, system, users[index % len(users)], answered))
        )
    await asyncio.gather(*tasks)
    await eventually(
        lambda: _all_arrived(system, list(answered)), timeout=300, interval=0.5, what="stats"
    )
    arrived = await _arrival_times(system, list(answered))
    placed = await _placed_times(system)
    return [(arrived[order] - placed[order]) * 1000 for order in answered]


async def _place(
    client: httpx.AsyncClient, system: RunningSystem, user: str, answered: dict[str, float]
) -> None:
    response = await client.post(
        f"{system.orders_url}/orders",
        json={
            "user_id": user,
            "currency": "EUR",
            "items": [{"sku": "b", "quantity": 1, "unit_price": "3.00"}],
        },
    )
    response.raise_for_status()
    answered[str(response.json()["id"])] = time.time()


async def _arrival_times(system: RunningSystem, orders: list[str]) -> dict[str, float]:
    """When the users context applied each order's confirmation, by order id."""
    confirmations = await _query(
        system.layout.orders_database,
        "SELECT aggregate_id, event_id FROM outbox WHERE event_type = 'order.confirmed'",
    )
    event_of = {str(order): str(event) for order, event in confirmations}
    applied = await _query(
        system.layout.users_database,
        "SELECT event_id, UNIX_TIMESTAMP(processed_at) FROM processed_events"
        " WHERE subscriber = 'users.order-confirmed'",
    )
    applied_at = {str(event): float(at) for event, at in applied}
    return {
        order: applied_at[event_of[order]] for order in orders if event_of.get(order) in applied_at
    }


async def _placed_times(system: RunningSystem) -> dict[str, float]:
    rows = await _query(
        system.layout.orders_database,
        "SELECT aggregate_id, UNIX_TIMESTAMP(created_at) FROM outbox"
        " WHERE event_type = 'order.placed'",
    )
    return {str(order): float(at) for order, at in rows}


async def _all_arrived(system: RunningSystem, orders: list[str]) -> bool:
    return len(await _arrival_times(system, orders)) == len(orders)


async def _count(database: str, sql: str, expected: int) -> bool:
    rows = await _query(database, sql)
    return int(rows[0][0]) >= expected


async def _query(database: str, sql: str) -> list[tuple[Any, ...]]:
    mysql = mysql_settings_for_tests()
    connection = await aiomysql.connect(
        host=mysql.host,
        port=mysql.port,
        user=mysql.user,
        password=mysql.password,
        db=database,
        autocommit=True,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(sql)
            return [tuple(row) for row in await cursor.fetchall()]
    finally:
        connection.close()


def _p(values: list[float], percentile: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[percentile - 1]
        if len(values) > 1
        else values[0]
    )
