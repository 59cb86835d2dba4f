"""End-to-end latency of the whole flow, as processes: from the `POST /orders` response to
the user's stats updated (order.placed → order.confirmed → stats), per broker, at several
offered loads, and the highest tried rate whose p99 stays under 1 s.

Per broker the system starts as `make run` starts it (`tests.e2e.system`). Before
anything is timed, ``USERS`` users are registered a few at a time, each request retried
on a transport error or a 5xx (a kept-alive connection the user-service closed), and the
bench waits until the orders context has projected every one of them. Then, after a
warm-up, orders go out open-loop (``eda load``'s ``open_loop``: the n-th at n / rate s,
whether or not earlier ones were answered) through the lean client of
``tests.bench.workloads.http_client``, at each rate of
``RATES`` for ``STEP_SECONDS`` and then of ``LADDER`` for ``LADDER_SECONDS`` while the
p99 stays under 1 s. After each step the bench waits until every order of the step has
reached the stats, so steps do not overlap.

Both ends are read from the database's clock, not the load generator's (whose event
loop may note a response late): the start is when the order's `order.placed` row was
written in the request's transaction (`outbox.created_at`, just before the 202), the
end when the users context's order.confirmed subscriber claimed the event
(`processed_events.processed_at`, written in the transaction that updates the stats).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eda_cli.load.pacing import Send, open_loop
from eda_cli.load.tally import Tally
from tests.bench.figure import Figure, log
from tests.bench.groups import Brokers, Step
from tests.bench.measure.latency import LatencySummary, summarise
from tests.bench.processes.make_run import AS_MAKE_RUN
from tests.bench.workloads.http_client import HttpPool
from tests.bench.workloads.order_bodies import ORDERS_PATH, order_body
from tests.e2e.system import RunningSystem, running_system
from tests.support.mysql import connect_for_tests
from tests.support.polling import eventually

USERS = 400
REGISTER_CONCURRENCY = 8
REGISTER_ATTEMPTS = 5
REGISTER_RETRY_S = 0.2
WARMUP_RATE = 50
WARMUP_SECONDS = 2
RATES = (50, 100, 200)
STEP_SECONDS = 10
LADDER = (400, 800)
LADDER_SECONDS = 5
LIMIT_MS = 1000.0
CONNECTIONS = 100
BODIES = 2_000
ANSWER_GRACE_S = 30.0
ARRIVAL_TIMEOUT_S = 180.0
ACCEPTED = 202


async def run(kafka_bootstrap: str) -> list[Figure]:
    figures: list[Figure] = []
    for routing in ("kafka", "rabbitmq"):
        with tempfile.TemporaryDirectory() as logs, contextlib.redirect_stdout(sys.stderr):
            # the launcher's set-up prints what it did; stdout carries only figures
            async with running_system(routing, kafka_bootstrap, Path(logs), AS_MAKE_RUN) as system:
                figures += await _measure(routing, system)
    return figures


@dataclass(frozen=True, slots=True)
class RateStep:
    rate: int
    latency: LatencySummary
    errors: int


async def _measure(routing: str, system: RunningSystem) -> list[Figure]:
    users = await register_users(system)
    rng = random.Random(5)
    bodies = [order_body(rng, users[index % len(users)]) for index in range(BODIES)]
    seen: set[str] = set()
    steps: list[RateStep] = []
    pool = HttpPool(system.orders_url, CONNECTIONS)
    send = pool.sender(ORDERS_PATH, bodies)
    try:
        warm_up = await _step(send, system, seen, WARMUP_RATE, WARMUP_SECONDS)
        log.info("flow %s: warm-up at %d/s, %s", routing, WARMUP_RATE, warm_up.latency.describe())
        for rate in RATES:
            steps.append(await _step(send, system, seen, rate, STEP_SECONDS))
        highest = _highest_under_limit(steps)
        if highest == steps[-1].rate:
            for rate in LADDER:
                step = await _step(send, system, seen, rate, LADDER_SECONDS)
                steps.append(step)
                if step.latency.p99_ms >= LIMIT_MS:
                    break
                highest = rate
    finally:
        await pool.close()
    if pool.resent:
        log.info("flow %s: %d requests sent again on a new connection", routing, pool.resent)
    prefix = f"flow.post_to_stats.{routing}"
    figures = [
        Figure(f"{prefix}.{step.rate}_per_s.{name}", value, "ms")
        for step in steps
        for name, value in (
            ("p50", step.latency.p50_ms),
            ("p90", step.latency.p90_ms),
            ("p99", step.latency.p99_ms),
        )
    ]
    errors = warm_up.errors + sum(step.errors for step in steps)
    return [
        *figures,
        Figure(f"{prefix}.highest_rate_with_p99_under_1s", highest, "orders/s"),
        Figure(f"{prefix}.errors", errors, "requests"),
    ]


def _highest_under_limit(steps: list[RateStep]) -> int:
    """The last rate, going up, before the first whose p99 reached the limit (0: none)."""
    highest = 0
    for step in steps:
        if step.latency.p99_ms >= LIMIT_MS:
            break
        highest = step.rate
    return highest


async def register_users(system: RunningSystem) -> list[str]:
    """``USERS`` users, a few requests at a time; then wait until the orders context knows
    every one of them (orders for an unknown customer wait, then are rejected)."""
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)
    limits = httpx.Limits(max_connections=REGISTER_CONCURRENCY)
    async with httpx.AsyncClient(base_url=system.users_url, timeout=30, limits=limits) as client:

        async def one(index: int) -> str:
            async with limit:
                return await _register(client, index)

        users = await asyncio.gather(*(one(index) for index in range(USERS)))
    await eventually(
        lambda: _count_at_least(
            system.layout.orders_database, "SELECT COUNT(*) FROM customers", USERS
        ),
        timeout=120,
        interval=0.5,
        what="every customer projected",
    )
    return list(users)


async def _register(client: httpx.AsyncClient, index: int) -> str:
    """Register one user; a failed attempt is retried under another email, since the
    failed one may have been registered after all (an unused user is harmless)."""
    for attempt in range(REGISTER_ATTEMPTS):
        body = {"email": f"bench{index}.{attempt}@example.com", "name": f"b{index}"}
        try:
            response = await client.post("/users", json=body)
        except httpx.TransportError as exc:
            log.info("registering user %d: %s, retrying", index, type(exc).__name__)
        else:
            if response.status_code < 500:
                response.raise_for_status()
                return str(response.json()["id"])
            log.info("registering user %d: %d, retrying", index, response.status_code)
        await asyncio.sleep(REGISTER_RETRY_S)
    raise RuntimeError(f"user {index} not registered in {REGISTER_ATTEMPTS} attempts")


async def place_orders(send: Send, rate: int, seconds: int) -> Tally:
    """``rate`` orders a second for ``seconds``, open loop; their answers."""
    tally = Tally("orders", ACCEPTED)
    await open_loop(
        send,
        tally,
        rate=rate,
        count=rate * seconds,
        concurrency=CONNECTIONS,
        grace_s=ANSWER_GRACE_S,
    )
    return tally


async def _step(
    send: Send, system: RunningSystem, seen: set[str], rate: int, seconds: int
) -> RateStep:
    """Orders open-loop at ``rate`` per second; each one's latency once all arrived."""
    tally = await place_orders(send, rate, seconds)
    placed = await _placed_times(system)
    orders = [order for order in placed if order not in seen]
    seen.update(orders)
    if len(orders) != tally.ok:
        log.info("flow: %d orders written for %d answers 202", len(orders), tally.ok)
    await eventually(
        lambda: _all_arrived(system, orders),
        timeout=ARRIVAL_TIMEOUT_S,
        interval=0.5,
        what=f"the stats of {len(orders)} orders",
    )
    arrived = await _arrival_times(system, orders)
    latency = summarise([arrived[order] - placed[order] for order in orders])
    errors = sum(tally.errors.values())
    log.info(
        "flow: %d/s, %d orders, POST %s; response → stats %s; errors %s; start lag up to %.0f ms",
        rate,
        len(orders),
        summarise(tally.latencies_s).describe() if tally.latencies_s else "-",
        latency.describe(),
        dict(tally.errors) or 0,
        tally.latest_start_s * 1000,
    )
    return RateStep(rate, latency, errors)


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


async def _count_at_least(database: str, sql: str, expected: int) -> bool:
    rows = await _query(database, sql)
    return int(rows[0][0]) >= expected


async def _query(database: str, sql: str) -> list[tuple[Any, ...]]:
    connection = await connect_for_tests(database)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(sql)
            return [tuple(row) for row in await cursor.fetchall()]
    finally:
        connection.close()


def steps(brokers: Brokers, _run_id: str) -> list[Step]:
    return [functools.partial(run, brokers.kafka_bootstrap)]
