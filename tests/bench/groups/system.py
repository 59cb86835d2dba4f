"""The whole system's cost, as `make run` runs it: services, subscribers, relays, the
broker and MariaDB on the same machine, each broker in turn.

What it reports, per broker:

- idle, after the system's first minute: every process's CPU seconds per second (from
  ``/proc``) and MariaDB's statements per second;
- the first order after that idle minute: from its ``order.placed`` row to the
  ``order.placed`` subscriber's claim (one hop), and to the user's stats (the flow);
- at each offered rate (``RATES``, then ``LADDER`` while the flow's p99 stays under
  ``GIVE_UP_MS``): each process's CPU per order and their sum, MariaDB's statements
  per order beyond the idle ones, and the flow's percentiles, read as the flow group
  reads them (from the database's clock); and the highest rate before the first whose
  p99 reached ``LIMIT_MS``.

MariaDB is a server of the bench's own (`tests.bench.processes.private_mariadb`): on
the machine's server, CPU and statement counts would include every other client. The
bench's own queries go through one connection, whose statements are left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aiomysql
import httpx

from eda_cli.load.pacing import Send
from tests.bench.figure import Figure, log
from tests.bench.groups import Brokers, Step
from tests.bench.groups.flow import place_orders, register_users
from tests.bench.measure.latency import LatencySummary, summarise
from tests.bench.measure.process_cpu import CpuUse, cpu_used, pid_listening_on, read_cpu
from tests.bench.measure.statements import StatementCounts, read_statements
from tests.bench.processes.make_run import AS_MAKE_RUN
from tests.bench.processes.private_mariadb import private_mariadb
from tests.bench.workloads.http_client import HttpPool
from tests.bench.workloads.order_bodies import ORDERS_PATH, order_body
from tests.e2e.system import RunningSystem, running_system
from tests.support.mysql import connect_for_tests
from tests.support.polling import eventually

WARMUP_RATE = 50
WARMUP_SECONDS = 5
IDLE_SETTLE_S = 60.0
"""The issue's idle figure is read after the system's first minute: start-up work
(metadata refreshes, the first purge, pools filling) is over by then."""
IDLE_WINDOW_S = 30.0
RATES = ((100, 30),)
"""(orders/s, seconds): the rate whose CPU per order the targets judge, long enough
that start and end effects are small."""
LADDER = (200, 400, 600, 800, 1000)
LADDER_SECONDS = 10
LIMIT_MS = 250.0
GIVE_UP_MS = 1000.0
"""The ladder goes on past the limit, for CPU per order at higher rates, up to this."""
CONNECTIONS = 100
BODIES = 4_000
ARRIVAL_TIMEOUT_S = 180.0
POLL_S = 0.5

_Load = tuple[int, int]
"""Orders per second, and for how many seconds."""


async def run(kafka_bootstrap: str) -> list[Figure]:
    figures: list[Figure] = []
    tansu = pid_listening_on(int(kafka_bootstrap.rsplit(":", 1)[1]))
    with private_mariadb() as mariadb, _tests_use_mysql_port(mariadb.port):
        for routing in ("kafka", "rabbitmq"):
            broker = ("kafka", tansu) if routing == "kafka" else ("rabbitmq", _rabbitmq_pid())
            with tempfile.TemporaryDirectory() as logs, contextlib.redirect_stdout(sys.stderr):
                async with running_system(
                    routing, kafka_bootstrap, Path(logs), AS_MAKE_RUN
                ) as system:
                    pids = {name: process.pid for name, process in system.processes.items()}
                    pids |= {broker[0]: broker[1], "mariadb": mariadb.pid}
                    connection = await connect_for_tests(None)
                    try:
                        figures += await _measure(routing, system, pids, connection)
                    finally:
                        connection.close()
    return figures


@contextlib.contextmanager
def _tests_use_mysql_port(port: int) -> Iterator[None]:
    saved = os.environ.get("EDA_TEST_MYSQL_PORT")
    os.environ["EDA_TEST_MYSQL_PORT"] = str(port)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["EDA_TEST_MYSQL_PORT"]
        else:
            os.environ["EDA_TEST_MYSQL_PORT"] = saved


def _rabbitmq_pid() -> int:
    """The machine's RabbitMQ (its Erlang VM); it also serves every other client."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "beam.smp":
                    return int(entry.name)
    raise LookupError("no RabbitMQ (beam.smp) process runs on this machine")


class _Meter:
    """CPU of the system's processes and MariaDB's statements, between two points."""

    def __init__(self, pids: Mapping[str, int], connection: aiomysql.Connection) -> None:
        self._pids = dict(pids)
        self._connection = connection

    async def measure(self) -> tuple[Any, StatementCounts]:
        return read_cpu(self._pids), await read_statements(self._connection)

    async def since(self, start: tuple[Any, StatementCounts]) -> tuple[CpuUse, StatementCounts]:
        cpu, statements = await self.measure()
        return cpu_used(start[0], cpu), statements.minus(start[1])


async def _measure(
    routing: str, system: RunningSystem, pids: Mapping[str, int], db: aiomysql.Connection
) -> list[Figure]:
    prefix = f"system.{routing}"
    meter = _Meter(pids, db)
    users = await register_users(system)
    rng = random.Random(7)
    bodies = [order_body(rng, users[index % len(users)]) for index in range(BODIES)]
    pool = HttpPool(system.orders_url, CONNECTIONS)
    send = pool.sender(ORDERS_PATH, bodies)
    seen: set[str] = set()
    figures: list[Figure] = []
    try:
        await _offer(send, system, db, seen, (WARMUP_RATE, WARMUP_SECONDS))
        log.info("system %s: warmed up; idle for %.0f s", routing, IDLE_SETTLE_S + IDLE_WINDOW_S)
        await asyncio.sleep(IDLE_SETTLE_S)
        start = await meter.measure()
        await asyncio.sleep(IDLE_WINDOW_S)
        idle_cpu, idle_statements = await meter.since(start)
        idle_per_s = idle_statements.total / idle_cpu.elapsed_s
        figures += _cpu_figures(f"{prefix}.idle", idle_cpu)
        figures.append(Figure(f"{prefix}.idle.statements_per_s", idle_per_s, "statements/s"))
        log.info(
            "system %s: idle %.3f cores (%s), %.1f statements/s",
            routing,
            idle_cpu.cores(),
            _describe_cores(idle_cpu),
            idle_per_s,
        )
        figures += await _first_after_idle(prefix, system, db, bodies[-1], seen)
        highest = previous = 0
        for rate, seconds in (*RATES, *((rate, LADDER_SECONDS) for rate in LADDER)):
            begin = await meter.measure()
            latency, errors = await _offer(send, system, db, seen, (rate, seconds))
            cpu, statements = await meter.since(begin)
            orders = latency.count
            figures += _rate_figures(f"{prefix}.{rate}_per_s", cpu, statements, idle_per_s, orders)
            figures += [
                Figure(f"{prefix}.{rate}_per_s.flow_p50", latency.p50_ms, "ms"),
                Figure(f"{prefix}.{rate}_per_s.flow_p99", latency.p99_ms, "ms"),
                Figure(f"{prefix}.{rate}_per_s.errors", errors, "requests"),
            ]
            log.info(
                "system %s: %d/s: %.2f ms CPU per order (%s), %.1f statements per order,"
                " flow %s, errors %d",
                routing,
                rate,
                cpu.total_s * 1000 / orders,
                _describe_per_order(cpu, orders),
                (statements.total - idle_per_s * cpu.elapsed_s) / orders,
                latency.describe(),
                errors,
            )
            held = latency.p99_ms < LIMIT_MS and not errors
            if held and highest == previous:
                highest = rate
            previous = rate
            if latency.p99_ms >= GIVE_UP_MS or errors:
                break
    finally:
        await pool.close()
    figures.append(
        Figure(f"{prefix}.highest_rate_with_p99_under_{LIMIT_MS:.0f}ms", highest, "orders/s")
    )
    return figures


def _cpu_figures(prefix: str, cpu: CpuUse) -> list[Figure]:
    return [Figure(f"{prefix}.cores", cpu.cores(), "cores")] + [
        Figure(f"{prefix}.{name}.cores", cpu.cores(name), "cores") for name in sorted(cpu.seconds)
    ]


def _rate_figures(
    prefix: str, cpu: CpuUse, statements: StatementCounts, idle_per_s: float, orders: int
) -> list[Figure]:
    beyond_idle = statements.total - idle_per_s * cpu.elapsed_s
    return [
        Figure(f"{prefix}.cpu_per_order", cpu.total_s * 1000 / orders, "ms"),
        Figure(f"{prefix}.cores", cpu.cores(), "cores"),
        Figure(f"{prefix}.statements_per_order", beyond_idle / orders, "statements"),
        *(
            Figure(f"{prefix}.statements_per_order.{kind}", count / orders, "statements")
            for kind, count in statements.by_kind.items()
        ),
        *(
            Figure(f"{prefix}.{name}.cpu_per_order", seconds * 1000 / orders, "ms")
            for name, seconds in sorted(cpu.seconds.items())
        ),
    ]


def _describe_cores(cpu: CpuUse) -> str:
    return ", ".join(f"{name} {cpu.cores(name):.3f}" for name in sorted(cpu.seconds))


def _describe_per_order(cpu: CpuUse, orders: int) -> str:
    return ", ".join(
        f"{name} {seconds * 1000 / orders:.2f}" for name, seconds in sorted(cpu.seconds.items())
    )


async def _first_after_idle(
    prefix: str, system: RunningSystem, db: aiomysql.Connection, body: bytes, seen: set[str]
) -> list[Figure]:
    """One order after the idle minute: how long its events waited for idle consumers."""
    async with httpx.AsyncClient(base_url=system.orders_url, timeout=30) as client:
        response = await client.post(
            ORDERS_PATH, content=body, headers={"content-type": "application/json"}
        )
    response.raise_for_status()
    order = str(response.json()["id"])
    seen.add(order)
    database = system.layout
    placed_sql = (
        f"SELECT UNIX_TIMESTAMP(created_at) FROM `{database.orders_database}`.outbox"
        " WHERE event_type = 'order.placed' AND aggregate_id = %s"
    )
    handled_sql = (
        "SELECT UNIX_TIMESTAMP(p.processed_at)"
        f" FROM `{database.orders_database}`.processed_events p"
        f" JOIN `{database.orders_database}`.outbox o ON o.event_id = p.event_id"
        " WHERE p.subscriber = 'orders.order-placed' AND o.aggregate_id = %s"
    )
    stats_sql = (
        "SELECT UNIX_TIMESTAMP(p.processed_at)"
        f" FROM `{database.users_database}`.processed_events p"
        f" JOIN `{database.orders_database}`.outbox o ON o.event_id = p.event_id"
        " WHERE p.subscriber = 'users.order-confirmed' AND o.aggregate_id = %s"
    )

    async def in_stats() -> bool:
        return await _one(db, stats_sql, order) is not None

    await eventually(
        in_stats,
        timeout=ARRIVAL_TIMEOUT_S,
        interval=0.02,
        what="the first order after idle in the user's stats",
    )
    placed, handled, stats = [
        await _one(db, sql, order) or 0.0 for sql in (placed_sql, handled_sql, stats_sql)
    ]
    log.info(
        "system %s: first order after idle: handled %.0f ms, in the stats %.0f ms",
        prefix,
        (handled - placed) * 1000,
        (stats - placed) * 1000,
    )
    return [
        Figure(f"{prefix}.first_after_idle.handled", (handled - placed) * 1000, "ms"),
        Figure(f"{prefix}.first_after_idle.in_stats", (stats - placed) * 1000, "ms"),
    ]


async def _one(db: aiomysql.Connection, sql: str, *arguments: str) -> float | None:
    async with db.cursor() as cursor:
        await cursor.execute(sql, arguments or None)
        row = await cursor.fetchone()
    return None if row is None or row[0] is None else float(row[0])


async def _offer(
    send: Send, system: RunningSystem, db: aiomysql.Connection, seen: set[str], load: _Load
) -> tuple[LatencySummary, int]:
    """Orders open-loop at ``rate`` per second until every one reached the stats; the
    flow's latency of each, and the requests that failed."""
    tally = await place_orders(send, *load)
    placed = {
        order: at
        for order, at in await _rows(
            db,
            "SELECT aggregate_id, UNIX_TIMESTAMP(created_at)"
            f" FROM `{system.layout.orders_database}`.outbox WHERE event_type = 'order.placed'",
        )
        if order not in seen
    }
    seen.update(placed)
    # A count each poll, read against an index: the bench's reads are MariaDB's CPU too.
    confirmed_sql = (
        f"SELECT COUNT(*) FROM `{system.layout.users_database}`.processed_events"
        " WHERE subscriber = 'users.order-confirmed'"
    )
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
    while (await _one(db, confirmed_sql) or 0) < len(seen):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not every one of {len(placed)} orders reached the stats")
        await asyncio.sleep(POLL_S)
    arrived = await _arrivals(db, system, placed)
    latency = summarise([arrived[order] - placed[order] for order in placed])
    return latency, sum(tally.errors.values())


async def _arrivals(
    db: aiomysql.Connection, system: RunningSystem, placed: Mapping[str, float]
) -> dict[str, float]:
    rows = await _rows(
        db,
        "SELECT o.aggregate_id, UNIX_TIMESTAMP(p.processed_at)"
        f" FROM `{system.layout.users_database}`.processed_events p"
        f" JOIN `{system.layout.orders_database}`.outbox o ON o.event_id = p.event_id"
        " WHERE p.subscriber = 'users.order-confirmed' AND o.event_type = 'order.confirmed'",
    )
    return {order: at for order, at in rows if order in placed}


async def _rows(db: aiomysql.Connection, sql: str) -> list[tuple[str, float]]:
    async with db.cursor() as cursor:
        await cursor.execute(sql)
        return [(str(row[0]), float(row[1])) for row in await cursor.fetchall()]


def steps(brokers: Brokers, _run_id: str) -> list[Step]:
    return [functools.partial(run, brokers.kafka_bootstrap)]
