"""Users registered and orders placed by concurrent clients (``eda load``'s closed loop),
each request placed again while the API answers 503, as a client honouring Retry-After
would."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from eda_cli.load.pacing import closed_loop
from eda_cli.load.tally import Tally
from tests.e2e.system import RunningSystem
from tests.support.orders import one_item_order
from tests.support.polling import eventually

CREATED = 201
ACCEPTED = 202
UNAVAILABLE = 503
REGISTERING_CLIENTS = 20
RETRY_AFTER_CAP_S = 1.0
"""A client honours Retry-After, capped so that a test does not idle longer than needed."""


async def register_users(client: httpx.AsyncClient, system: RunningSystem, count: int) -> list[str]:
    """The ids of ``count`` new users, in the order registered."""
    ids = [""] * count

    async def register(index: int) -> str:
        email = f"u{index}.{random.randrange(10**12)}@example.com"
        while True:
            response = await client.post(
                f"{system.users_url}/users", json={"email": email, "name": f"U{index}"}
            )
            if response.status_code != UNAVAILABLE:
                break
            await asyncio.sleep(RETRY_AFTER_CAP_S)  # the back-off of a retrying client
        assert response.status_code == CREATED, response.text
        ids[index] = str(response.json()["id"])
        return str(response.status_code)

    await closed_loop(register, Tally("users", CREATED), clients=REGISTERING_CLIENTS, count=count)
    return ids


async def projected_users(
    client: httpx.AsyncClient, system: RunningSystem, count: int
) -> list[str]:
    """``register_users``, once the order-service knows every one of them as active."""
    users = await register_users(client, system, count)

    async def projected() -> bool:
        states = await asyncio.gather(*(system.customer_active(user) for user in users))
        return all(state is True for state in states)

    await eventually(projected, timeout=120, interval=0.5, what="customers projected")
    return users


def shuffled_orders(users: list[str], per_user: int) -> list[tuple[str, str]]:
    """``per_user`` (user, unit price) pairs for each user, in random order; one price a
    user, so that the user's stats say whether each order counted once."""
    prices = {user: f"{Decimal(random.randrange(100, 5000)) / 100:.2f}" for user in users}
    orders = [(user, prices[user]) for user in users for _ in range(per_user)]
    random.shuffle(orders)
    return orders


@dataclass
class OrderLoad:
    """Places orders from concurrent clients; places again what the API answered 503."""

    system: RunningSystem
    concurrency: int = 50
    tally: Tally = field(default_factory=lambda: Tally("orders", ACCEPTED))
    """Every answer: a 503 counts, and the order goes again."""
    unavailable_without_retry_after: int = 0
    placed: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[int]:
        return Counter({int(status): n for status, n in self.tally.outcomes.items()})

    async def place(
        self, client: httpx.AsyncClient, orders: Sequence[tuple[str, str]]
    ) -> list[str]:
        """``orders``: (user id, unit price) each; returns the order ids in that order."""
        ids = [""] * len(orders)

        async def place_one(index: int) -> str:
            user_id, price = orders[index]
            body = one_item_order(user_id, sku="book", quantity=1, unit_price=price)
            while True:
                sent = time.monotonic()
                response = await client.post(f"{self.system.orders_url}/orders", json=body)
                if response.status_code != UNAVAILABLE:
                    break
                self.tally.answered(str(UNAVAILABLE), time.monotonic() - sent)
                retry_after = response.headers.get("retry-after")
                if retry_after is None:
                    self.unavailable_without_retry_after += 1
                await asyncio.sleep(min(float(retry_after or 1), RETRY_AFTER_CAP_S))
            assert response.status_code == ACCEPTED, response.text
            ids[index] = str(response.json()["id"])
            self.placed.append(ids[index])
            return str(response.status_code)

        await closed_loop(place_one, self.tally, clients=self.concurrency, count=len(orders))
        return ids
