"""Drive the running system like its users would, and count what happened."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import aiomysql
import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.db.sql import placeholders
from tests.e2e.system import RunningSystem
from tests.support.mysql import mysql_settings_for_tests

RETRY_AFTER_CAP_S = 1.0
"""A client honours Retry-After, capped so that a test does not idle longer than needed."""


async def register_users(client: httpx.AsyncClient, system: RunningSystem, count: int) -> list[str]:
    async def one(index: int) -> str:
        email = f"u{index}.{random.randrange(10**12)}@example.com"
        while True:
            response = await client.post(
                f"{system.users_url}/users", json={"email": email, "name": f"U{index}"}
            )
            if response.status_code == 503:
                await asyncio.sleep(RETRY_AFTER_CAP_S)
                continue
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

    limit = asyncio.Semaphore(20)

    async def limited(index: int) -> str:
        async with limit:
            return await one(index)

    return list(await asyncio.gather(*(limited(index) for index in range(count))))


@dataclass
class OrderLoad:
    """Places orders from concurrent clients; retries what the API answered 503."""

    system: RunningSystem
    concurrency: int = 50
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    placed: list[str] = field(default_factory=list)

    async def place(
        self, client: httpx.AsyncClient, orders: Sequence[tuple[str, str]]
    ) -> list[str]:
        """``orders``: (user id, unit price) each; returns the order ids in that order."""
        limit = asyncio.Semaphore(self.concurrency)

        async def one(user_id: str, price: str) -> str:
            async with limit:
                while True:
                    response = await client.post(
                        f"{self.system.orders_url}/orders",
                        json={
                            "user_id": user_id,
                            "currency": "EUR",
                            "items": [{"sku": "book", "quantity": 1, "unit_price": price}],
                        },
                    )
                    self.statuses[response.status_code] += 1
                    if response.status_code == 503:
                        retry_after = response.headers.get("retry-after")
                        if retry_after is None:
                            self.unavailable_without_retry_after += 1
                        await asyncio.sleep(min(float(retry_after or 1), RETRY_AFTER_CAP_S))
                        continue
                    assert response.status_code == 202, response.text
                    order_id = str(response.json()["id"])
                    self.placed.append(order_id)
                    return order_id

        return list(await asyncio.gather(*(one(user, price) for user, price in orders)))


async def _orders_connection(system: RunningSystem, database: str) -> aiomysql.Connection:
    mysql = mysql_settings_for_tests()  # straight to the server, not through the proxy
    return await aiomysql.connect(
        host=mysql.host,
        port=mysql.port,
        user=mysql.user,
        password=mysql.password,
        db=database,
        autocommit=True,
    )


async def orders_of(
    system: RunningSystem, users: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """Every order the orders database holds for ``users``: (status, total) per user.

    The truth to check the user-service's statistics against: a request whose commit
    succeeded while the link failed was answered 503 and placed again by its client,
    so a user can own more orders than were acknowledged."""
    connection = await _orders_connection(system, system.layout.orders_database)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT user_id, status, total FROM orders"
                f" WHERE user_id IN ({placeholders(len(users))})",
                list(users),
            )
            rows = await cursor.fetchall()
    finally:
        connection.close()
    orders: dict[str, list[tuple[str, str]]] = {user: [] for user in users}
    for user_id, status, total in rows:
        orders[str(user_id)].append((str(status), str(total)))
    return orders


async def stats_mismatches(
    client: httpx.AsyncClient, system: RunningSystem, expected: dict[str, tuple[int, Decimal]]
) -> int:
    """How many users' orders_count / total_spent differ from ``expected``."""
    mismatches = 0
    for user_id, (count, spent) in expected.items():
        user = (await client.get(f"{system.users_url}/users/{user_id}")).json()
        total = Decimal(user["total_spent"].get("EUR", "0")) if user["total_spent"] else Decimal(0)
        if user["orders_count"] != count or total != spent:
            mismatches += 1
    return mismatches


COUNTERS = (
    "eda_events_consumed_total",
    "eda_events_dead_lettered_total",
    "eda_events_duplicates_total",
    "eda_events_retried_total",
)


async def counters(client: httpx.AsyncClient, system: RunningSystem) -> Counter[str]:
    """The event counters summed over every process of the system."""
    totals: Counter[str] = Counter()
    for name in system.commands:
        try:
            response = await client.get(f"{system.health_url(name)}/metrics")
        except httpx.HTTPError:
            continue
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name in COUNTERS:
                    totals[sample.name] += int(sample.value)
    return totals
