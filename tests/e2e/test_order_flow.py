"""HTTP → outbox → broker → subscriber → the next event → the other context, as
processes started the way `make run` starts them, on all-Kafka, all-RabbitMQ and
mixed routing. Driven over HTTP only (plus process control)."""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import AsyncIterator, Awaitable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.e2e.system import ROUTINGS, RunningSystem, running_system, stop_all
from tests.support.orders import one_item_order
from tests.support.polling import eventually
from tests.support.users import register_user

# The whole system as processes: MariaDB, RabbitMQ and a Tansu of its own.
pytestmark = [pytest.mark.mysql, pytest.mark.rabbitmq, pytest.mark.asyncio(loop_scope="module")]

# Fewer requests in flight than the client's connection pool holds.
_REQUESTS = asyncio.Semaphore(50)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=sorted(ROUTINGS))
async def system(
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningSystem]:
    log_dir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    async with running_system(request.param, kafka_bootstrap, log_dir) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


async def get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    async with _REQUESTS:
        response = await client.get(url)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def register(client: httpx.AsyncClient, system: RunningSystem, name: str) -> str:
    email = f"{name}.{random.randrange(10**9)}@example.com"
    return await register_user(client, system.users_url, email, name)


async def place(
    client: httpx.AsyncClient, system: RunningSystem, user_id: str, price: str = "12.50"
) -> str:
    response = await client.post(
        f"{system.orders_url}/orders",
        json=one_item_order(user_id, sku="book", quantity=2, unit_price=price),
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def has_status(
    client: httpx.AsyncClient, system: RunningSystem, order_id: str, status: str
) -> bool:
    return bool((await get(client, f"{system.orders_url}/orders/{order_id}"))["status"] == status)


async def has_stats(
    client: httpx.AsyncClient,
    system: RunningSystem,
    user_id: str,
    count: int,
    spent: dict[str, str],
) -> bool:
    user = await get(client, f"{system.users_url}/users/{user_id}")
    return bool(user["orders_count"] == count and user["total_spent"] == spent)


async def test_an_order_is_confirmed_and_counted_and_a_cancellation_takes_it_back(
    system: RunningSystem, client: httpx.AsyncClient
) -> None:
    user_id = await register(client, system, "ada")
    order_id = await place(client, system, user_id)
    await eventually(
        lambda: has_status(client, system, order_id, "confirmed"), timeout=60, what="confirmed"
    )
    await eventually(
        lambda: has_stats(client, system, user_id, 1, {"EUR": "25.00"}),
        timeout=60,
        what="the user's stats counting the order",
    )
    cancelled = await client.post(f"{system.orders_url}/orders/{order_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    await eventually(
        lambda: has_stats(client, system, user_id, 0, {}), timeout=60, what="stats taken back"
    )


async def test_an_order_for_an_unknown_user_is_rejected_with_the_reason(
    system: RunningSystem, client: httpx.AsyncClient
) -> None:
    order_id = await place(client, system, "6c1f4b8e-0000-4000-8000-000000000000")
    await eventually(
        lambda: has_status(client, system, order_id, "rejected"), timeout=60, what="rejected"
    )
    order = await get(client, f"{system.orders_url}/orders/{order_id}")
    assert order["reason"] == "unknown customer"


async def test_an_order_of_a_deactivated_user_is_rejected_and_notified(
    system: RunningSystem, client: httpx.AsyncClient
) -> None:
    user_id = await register(client, system, "bob")
    response = await client.post(f"{system.users_url}/users/{user_id}/deactivate")
    assert response.status_code == 200, response.text
    await eventually(
        lambda: _is_false(system.customer_active(user_id)),
        timeout=60,
        what="the orders context knowing the customer is inactive",
    )
    order_id = await place(client, system, user_id)
    await eventually(
        lambda: has_status(client, system, order_id, "rejected"), timeout=60, what="rejected"
    )
    assert (await get(client, f"{system.orders_url}/orders/{order_id}"))["reason"] == (
        "customer inactive"
    )

    async def notified() -> bool:
        notes = await get(client, f"{system.users_url}/users/{user_id}/notifications")
        return len(notes["items"]) == 1

    await eventually(notified, timeout=60, what="the rejection notified")


async def test_deactivation_cancels_the_users_pending_orders(
    system: RunningSystem, client: httpx.AsyncClient
) -> None:
    user_id = await register(client, system, "cy")
    await eventually(
        lambda: _is_true(system.customer_active(user_id)), timeout=60, what="customer projected"
    )
    # With the order.placed subscriber stopped the orders stay pending.
    placing = "order-placed"
    system.processes[placing].terminate()
    assert await system.processes[placing].wait() == 0
    pending = [await place(client, system, user_id) for _ in range(2)]
    response = await client.post(f"{system.users_url}/users/{user_id}/deactivate")
    assert response.status_code == 200, response.text
    for order_id in pending:
        await eventually(
            functools.partial(has_status, client, system, order_id, "cancelled"),
            timeout=60,
            what="pending order cancelled",
        )
    await system.start(placing)
    await system.wait_ready(placing)
    for order_id in pending:  # the late order.placed finds them cancelled and leaves them so
        assert await has_status(client, system, order_id, "cancelled")


async def test_500_concurrent_orders_end_exact_through_two_subscriber_kills(
    system: RunningSystem, client: httpx.AsyncClient
) -> None:
    users = await asyncio.gather(*(register(client, system, f"u{i}") for i in range(50)))
    await eventually(
        lambda: _all_true([system.customer_active(user) for user in users]),
        timeout=60,
        what="all customers projected",
    )
    prices = {user: f"{Decimal(random.randrange(100, 9999)) / 100:.2f}" for user in users}
    limit = asyncio.Semaphore(50)

    async def place_one(user: str) -> str:
        async with limit:
            return await place(client, system, user, prices[user])

    started = time.monotonic()
    placing = [asyncio.create_task(place_one(user)) for user in users for _ in range(10)]
    for victim, share in (("order-placed", 150), ("order-confirmed", 300)):
        await eventually(functools.partial(_at_least_done, placing, share), timeout=120)
        await system.kill(victim)  # SIGKILL mid-load
        print(f"killed {victim} with SIGKILL after {share} orders were placed")
        await system.start(victim)
    orders = await asyncio.gather(*placing)
    print(f"500 orders placed in {time.monotonic() - started:.1f}s")
    await system.wait_ready("order-placed")
    await system.wait_ready("order-confirmed")

    async def all_confirmed() -> bool:
        statuses = await asyncio.gather(
            *(get(client, f"{system.orders_url}/orders/{order}") for order in orders)
        )
        return all(order["status"] == "confirmed" for order in statuses)

    await eventually(all_confirmed, timeout=120, interval=0.5, what="every order confirmed")
    print(f"all confirmed after {time.monotonic() - started:.1f}s")
    expected = {user: {"EUR": f"{Decimal(prices[user]) * 20:.2f}"} for user in users}

    async def stats_exact() -> bool:
        checks = [has_stats(client, system, u, 10, expected[u]) for u in users]
        return all(await asyncio.gather(*checks))

    await eventually(stats_exact, timeout=120, interval=0.5, what="every user's stats exact")


async def test_every_process_exits_cleanly_on_sigterm(system: RunningSystem) -> None:
    codes = await stop_all(system)
    failed = {name: code for name, code in codes.items() if code != 0}
    assert not failed, {name: system.log_tail(name) for name in failed}


def _at_least_done(tasks: list[asyncio.Task[str]], count: int) -> bool:
    return sum(task.done() for task in tasks) >= count


async def _is_false(value: Awaitable[bool | None]) -> bool:
    return await value is False


async def _is_true(value: Awaitable[bool | None]) -> bool:
    return await value is True


async def _all_true(values: list[Awaitable[bool | None]]) -> bool:
    return all(result is True for result in await asyncio.gather(*values))
