"""The smoke test's traffic over the two APIs: a user registers, places orders (one
of them traced from here), every order ends confirmed, and the user's stats add up."""

from __future__ import annotations

import asyncio
import random
import time
from decimal import Decimal

import httpx

from tests.smoke.traces import TraceContext

ORDERS = 5


async def _eventually_json(
    client: httpx.AsyncClient, url: str, wanted: dict[str, object], timeout: float
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        response = await client.get(url)
        if response.status_code == 200:
            body = response.json()
            if all(body.get(key) == value for key, value in wanted.items()):
                return body
        await asyncio.sleep(0.5)  # a poll interval against the deadline above
    raise AssertionError(f"{url}: wanted {wanted} within {timeout:.0f} s, last {body}")


async def place_orders(
    client: httpx.AsyncClient,
    users_url: str,
    orders_url: str,
    *,
    orders: int = ORDERS,
    timeout: float = 180,
) -> TraceContext:
    """Runs the flow and checks its outcome; the trace context of the traced order."""
    email = f"smoke.{random.randrange(10**9)}@example.com"
    registered = await client.post(f"{users_url}/users", json={"email": email, "name": "Smoke"})
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["id"]
    traced = TraceContext.new()
    order_ids, spent = [], Decimal(0)
    for number in range(1, orders + 1):
        price = Decimal(number) + Decimal("0.25")
        headers = {"traceparent": traced.traceparent} if number == 1 else {}
        placed = await client.post(
            f"{orders_url}/orders",
            json={
                "user_id": user_id,
                "currency": "EUR",
                "items": [{"sku": f"smoke-{number}", "quantity": 2, "unit_price": str(price)}],
            },
            headers=headers,
        )
        assert placed.status_code == 202, placed.text
        order_ids.append(placed.json()["id"])
        spent += 2 * price
    for order_id in order_ids:
        await _eventually_json(
            client, f"{orders_url}/orders/{order_id}", {"status": "confirmed"}, timeout
        )
    await _eventually_json(
        client,
        f"{users_url}/users/{user_id}",
        {"orders_count": orders, "total_spent": {"EUR": f"{spent:.2f}"}},
        timeout,
    )
    return traced
