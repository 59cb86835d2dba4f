"""The system keeps every event through faults while 2,000 orders are placed by
concurrent clients: subscribers killed, a broker link cut, the database link cut.
Routing is mixed (order.placed, order.rejected, user.deactivated on RabbitMQ, the
rest on Kafka), so each broker carries part of every order's flow. Each test prints
what it injected and what it counted."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio

from tests.e2e.event_counters import counters
from tests.e2e.faulty_system import FaultySystem, faulty_system
from tests.e2e.held_orders import orders_of, stats_mismatches
from tests.e2e.retrying_load import OrderLoad, projected_users, shuffled_orders
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
CUT_S = 10.0

Fault = Callable[[FaultySystem, OrderLoad], Awaitable[str]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def faulty(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultySystem]:
    async with faulty_system("mixed", tmp_path_factory.mktemp("faults")) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        yield http


async def _placed_at_least(load: OrderLoad, count: int) -> bool:
    return len(load.placed) >= count


async def _under_load(
    faulty: FaultySystem, client: httpx.AsyncClient, fault: Fault
) -> tuple[OrderLoad, Counter[str]]:
    """Register users, place their orders while ``fault`` runs, wait until every order
    is final and every user's stats exact; return the load and the counter deltas."""
    system = faulty.system
    users = await projected_users(client, system, USERS)
    orders = shuffled_orders(users, ORDERS_PER_USER)
    before = await counters(client, system)
    load = OrderLoad(system)
    placing = asyncio.create_task(load.place(client, orders))
    await eventually(
        functools.partial(_placed_at_least, load, len(orders) // 6),
        timeout=120,
        what="a sixth of the orders placed",
    )
    injected = await fault(faulty, load)
    order_ids = await placing
    print(f"\ninjected: {injected}; {len(order_ids)} orders placed, answers {dict(load.statuses)}")

    async def all_confirmed() -> bool:
        held = await orders_of(system, users)
        statuses = Counter(status for orders in held.values() for status, _ in orders)
        return set(statuses) == {"confirmed"} and statuses["confirmed"] >= len(order_ids)

    await eventually(all_confirmed, timeout=150, interval=1, what="every order confirmed")
    held = await orders_of(system, users)
    expected = {
        user: (len(orders), sum((Decimal(total) for _, total in orders), Decimal(0)))
        for user, orders in held.items()
    }
    placed_twice = sum(len(orders) for orders in held.values()) - len(order_ids)

    async def stats_exact() -> bool:
        return await stats_mismatches(client, system, expected) == 0

    await eventually(stats_exact, timeout=120, interval=1, what="every user's stats exact")
    after = await counters(client, system)
    delta = Counter({name: after[name] - before[name] for name in after})
    print(
        f"counted: sent {len(order_ids)} orders; delivered {delta['eda_events_consumed_total']}"
        f" events; duplicates suppressed {delta['eda_events_duplicates_total']};"
        f" retried {delta['eda_events_retried_total']};"
        f" dead-lettered {delta['eda_events_dead_lettered_total']};"
        f" orders placed again after an ambiguous 503 {placed_twice}"
    )
    return load, delta


async def _kill_order_placed_twice(faulty: FaultySystem, load: OrderLoad) -> str:
    system = faulty.system
    for share in (3, 2):
        await eventually(
            functools.partial(_placed_at_least, load, USERS * ORDERS_PER_USER // share),
            timeout=120,
        )
        await system.kill("order-placed")  # SIGKILL: nothing finished, nothing committed
        await system.start("order-placed")
    await system.wait_ready("order-placed")
    return "SIGKILL of the order.placed subscriber twice, each restarted"


def _cut(link: str) -> Fault:
    async def cut(faulty: FaultySystem, load: OrderLoad) -> str:
        await faulty.cut(link, CUT_S)
        return f"{link} link cut for {CUT_S:.0f} s"

    return cut


async def test_a_subscriber_killed_twice_loses_nothing(
    faulty: FaultySystem, client: httpx.AsyncClient
) -> None:
    load, delta = await _under_load(faulty, client, _kill_order_placed_twice)
    assert set(load.statuses) == {202}
    assert delta["eda_events_dead_lettered_total"] == 0


@pytest.mark.parametrize("link", ["kafka", "rabbitmq"])
async def test_a_broker_outage_delays_and_loses_nothing(
    faulty: FaultySystem, client: httpx.AsyncClient, link: str
) -> None:
    load, delta = await _under_load(faulty, client, _cut(link))
    # The outbox holds the events: requests never noticed the broker was away.
    assert set(load.statuses) == {202}, load.statuses
    assert delta["eda_events_dead_lettered_total"] == 0


async def test_a_database_outage_answers_503_and_loses_nothing(
    faulty: FaultySystem, client: httpx.AsyncClient
) -> None:
    load, delta = await _under_load(faulty, client, _cut("mysql"))
    assert set(load.statuses) <= {202, 503}, load.statuses  # never a 500
    assert load.statuses[503] > 0, "the cut was not noticed"
    assert load.unavailable_without_retry_after == 0
    # Healthy messages were retried through the outage, not dead-lettered.
    assert delta["eda_events_dead_lettered_total"] == 0
    assert delta["eda_events_retried_total"] > 0
