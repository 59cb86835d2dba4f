"""What the running system holds: the orders of each user, and the users whose stats
disagree with them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import httpx

from shared.db import placeholders
from tests.e2e.system import RunningSystem
from tests.support.mysql import connect_for_tests


async def orders_of(
    system: RunningSystem, users: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """Every order the orders database holds for ``users``: (status, total) per user.

    The truth to check the user-service's statistics against: a request whose commit
    succeeded while the link failed was answered 503 and placed again by its client,
    so a user can own more orders than were acknowledged."""
    connection = await connect_for_tests(system.layout.orders_database)
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
