"""HTTP → outbox → broker → subscriber → the next event → the other context, as processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.settings import BrokerKind
from tests.e2e.system import RunningSystem, running_system, stop_all
from tests.support.polling import eventually


@pytest.fixture(params=[BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"])
async def system(
    request: pytest.FixtureRequest, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[RunningSystem]:
    async with running_system(request.param, kafka_bootstrap, tmp_path) as running:
        yield running


async def _json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def test_an_order_is_confirmed_and_counted_then_cancelled_and_uncounted(
    system: RunningSystem,
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        user = (
            await client.post(
                f"{system.users_url}/users", json={"email": "ada@example.com", "name": "Ada"}
            )
        ).json()
        placed = await client.post(
            f"{system.orders_url}/orders",
            json={
                "user_id": user["id"],
                "currency": "EUR",
                "items": [{"sku": "book", "quantity": 2, "unit_price": "12.50"}],
            },
        )
        assert placed.status_code == 202, placed.text
        order_url = f"{system.orders_url}/orders/{placed.json()['id']}"
        user_url = f"{system.users_url}/users/{user['id']}"

        async def order_status() -> str:
            return str((await _json(client, order_url))["status"])

        async def confirmed() -> bool:
            return await order_status() == "confirmed"

        await eventually(confirmed, timeout=60, what="the order confirmed")

        async def counted() -> bool:
            stats = await _json(client, user_url)
            return bool(stats["orders_count"] == 1 and stats["total_spent"] == {"EUR": "25.00"})

        await eventually(counted, timeout=60, what="the user's stats counting the order")

        cancelled = await client.post(f"{order_url}/cancel")
        assert cancelled.status_code == 200, cancelled.text

        async def uncounted() -> bool:
            stats = await _json(client, user_url)
            return bool(stats["orders_count"] == 0 and stats["total_spent"] == {})

        await eventually(uncounted, timeout=60, what="the cancellation subtracted")


async def test_an_order_of_a_deactivated_user_is_rejected_with_a_notification(
    system: RunningSystem,
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        user = (
            await client.post(
                f"{system.users_url}/users", json={"email": "bob@example.com", "name": "Bob"}
            )
        ).json()
        deactivated = await client.post(f"{system.users_url}/users/{user['id']}/deactivate")
        assert deactivated.status_code == 200, deactivated.text
        await eventually(
            lambda: _is_false(system.customer_active(user["id"])),
            timeout=60,
            what="the orders context knowing the customer is inactive",
        )
        placed = await client.post(
            f"{system.orders_url}/orders",
            json={
                "user_id": user["id"],
                "currency": "EUR",
                "items": [{"sku": "pen", "quantity": 1, "unit_price": "1.00"}],
            },
        )
        order_url = f"{system.orders_url}/orders/{placed.json()['id']}"

        async def rejected() -> bool:
            return bool((await _json(client, order_url))["status"] == "rejected")

        await eventually(rejected, timeout=60, what="the order rejected")

        async def notified() -> bool:
            notes = await _json(client, f"{system.users_url}/users/{user['id']}/notifications")
            return len(notes["items"]) == 1

        await eventually(notified, timeout=60, what="the rejection notified")


async def test_every_process_exits_cleanly_on_sigterm(system: RunningSystem) -> None:
    codes = await stop_all(system)
    failed = {name: code for name, code in codes.items() if code != 0}
    assert not failed, {name: system.log_tail(name) for name in failed}


async def _is_false(value: Awaitable[bool | None]) -> bool:
    return await value is False
