"""``POST /orders`` against ``order-service serve``, loaded from another process.

The service runs as its own process on a migrated throwaway database, with its
outbox relay publishing to Kafka (a Tansu). The load (``eda load``'s pacing, in
``tests.bench.processes.orders_load``) is a third process. Between phases the bench waits
until the service's relay has published every ``order.placed``, so that one
phase's backlog does not load the next.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomysql

from shared.db import create_pool
from tests.bench.figure import Figure
from tests.bench.groups import Brokers, Step
from tests.bench.measure.timing import wait_until
from tests.bench.processes.order_service import OrderService, running_order_service
from tests.support.mysql import mysql_settings_for_tests
from tests.support.outbox import unpublished

log = logging.getLogger("bench")

CLOSED_CLIENTS = 50
STEADY_RATE = 200.0
PEAK_RATE = 1_000.0
WARMUP_S = 2.0
MEASURE_S = 10.0
SEARCH_S = 5.0
# Rounds of the closed loop without and with keys: their CPU per request differs by
# less than one round differs from the next on a busy machine.
KEYED_ROUNDS = 3
SEARCH_FROM = 0.6  # of the closed-loop throughput: a rate the server should sustain
SEARCH_STEP = 50.0
SEARCH_TRIES = 5
# A rate is sustained when every request gets its 202, the answers keep pace with the
# offered rate and the latency stays bounded (no queue building up).
SUSTAINED_SHARE = 0.97
SUSTAINED_P99_MS = 100.0
GRACE_S = 30.0
SETTLE_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class Phase:
    """One run of the load: its report and the server's CPU seconds during it."""

    report: dict[str, Any]
    server_cpu_s: float

    @property
    def throughput(self) -> float:
        return float(self.report["throughput"])

    @property
    def errors(self) -> int:
        return int(self.report["errors"])

    def latency_ms(self, name: str) -> float:
        latency = self.report["latency"] or {}
        return float(latency.get(name, float("nan")))

    @property
    def server_cpu_us_per_request(self) -> float:
        return self.server_cpu_s * 1e6 / max(1, int(self.report["answered"]))


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a running process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Session:
    """The service under load, its outbox, and every phase run so far."""

    service: OrderService
    pool: aiomysql.Pool
    phases: list[Phase] = field(default_factory=list)

    async def load(self, *shape: str, warmup_s: float, measure_s: float) -> Phase:
        """Run the load, then wait for the relay to catch up."""
        pid = self.service.pid
        cpu_before = process_cpu_s(pid)
        report = await run_orders_load(self.service.url, shape, warmup_s, measure_s)
        phase = Phase(report, process_cpu_s(pid) - cpu_before)
        self.phases.append(phase)
        log.info(
            "%s: %.0f requests/s, p50 %.1f ms, p99 %.1f ms, %d errors %s;"
            " server %.0f µs CPU/request",
            " ".join(shape),
            phase.throughput,
            phase.latency_ms("p50_ms"),
            phase.latency_ms("p99_ms"),
            phase.errors,
            phase.report["statuses"],
            phase.server_cpu_us_per_request,
        )
        await self.settle()
        return phase

    async def settle(self) -> None:
        """Wait for the service's relay to publish what the last phase wrote."""
        started = time.monotonic()
        backlog = await unpublished(self.pool)

        async def published() -> bool:
            return await unpublished(self.pool) == 0

        await wait_until(published, SETTLE_TIMEOUT_S, "the service's outbox to drain", poll_s=0.1)
        drained_s = time.monotonic() - started
        log.info("outbox backlog %d after the phase, drained in %.1fs", backlog, drained_s)

    @property
    def errors(self) -> int:
        return sum(phase.errors for phase in self.phases)


async def run_orders_load(
    url: str, shape: tuple[str, ...], warmup_s: float, measure_s: float
) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.processes.orders_load",
        url,
        *shape,
        "--warmup",
        str(warmup_s),
        "--duration",
        str(measure_s),
        "--grace",
        str(GRACE_S),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await asyncio.wait_for(process.communicate(), warmup_s + measure_s + GRACE_S + 30)
    if process.returncode != 0:
        raise RuntimeError(f"the load failed with exit code {process.returncode}")
    report: dict[str, Any] = json.loads(output)
    return report


def sustained(phase: Phase, rate: float) -> bool:
    return (
        phase.errors == 0
        and phase.throughput >= SUSTAINED_SHARE * rate
        and phase.latency_ms("p99_ms") <= SUSTAINED_P99_MS
    )


async def highest_sustained(session: Session, start: float) -> float:
    """Step up by ``SEARCH_STEP`` from ``start`` while sustained; the last sustained rate.

    0 when even ``start`` was not sustained.
    """
    best = 0.0
    rate = max(SEARCH_STEP, start)
    for _ in range(SEARCH_TRIES):
        phase = await session.load("--rate", f"{rate:g}", warmup_s=1.0, measure_s=SEARCH_S)
        if not sustained(phase, rate):
            break
        best = rate
        rate += SEARCH_STEP
    return best


async def run(bootstrap: str, run_id: str) -> list[Figure]:
    mysql = mysql_settings_for_tests()
    log_path = Path(tempfile.gettempdir()) / f"bench-{run_id}-order-service.log"
    async with running_order_service(mysql, bootstrap, f"bench-{run_id}.api.", log_path) as service:
        pool = await create_pool(service.mysql.model_copy(update={"pool_max_size": 2}))
        try:
            return await _figures(Session(service, pool))
        finally:
            pool.close()
            await pool.wait_closed()


async def _figures(session: Session) -> list[Figure]:
    steady = await session.load(
        "--rate", f"{STEADY_RATE:g}", warmup_s=WARMUP_S, measure_s=MEASURE_S
    )
    closed, keyed = await without_and_with_keys(session)
    start = SEARCH_STEP * (SEARCH_FROM * closed.throughput // SEARCH_STEP)
    best = await highest_sustained(session, start)
    peak = await session.load("--rate", f"{PEAK_RATE:g}", warmup_s=WARMUP_S, measure_s=MEASURE_S)
    closed_name = f"api.orders.closed{CLOSED_CLIENTS}"
    steady_name = f"api.orders.open{STEADY_RATE:g}"
    peak_name = f"api.orders.open{PEAK_RATE:g}"
    return [
        Figure(f"{closed_name}.throughput", closed.throughput, "requests/s"),
        Figure(f"{closed_name}.p50", closed.p50_ms, "ms"),
        Figure(f"{closed_name}.p99", closed.p99_ms, "ms"),
        Figure(f"{closed_name}.server_cpu", closed.server_cpu_us, "us/request"),
        Figure(f"{closed_name}.keyed.throughput", keyed.throughput, "requests/s"),
        Figure(f"{closed_name}.keyed.p50", keyed.p50_ms, "ms"),
        Figure(f"{closed_name}.keyed.p99", keyed.p99_ms, "ms"),
        Figure(
            f"{closed_name}.keyed.server_cpu",
            keyed.server_cpu_us,
            "us/request",
            baseline_name=f"{closed_name}.server_cpu",
            baseline_value=closed.server_cpu_us,
        ),
        Figure(f"{steady_name}.p50", steady.latency_ms("p50_ms"), "ms"),
        Figure(f"{steady_name}.p99", steady.latency_ms("p99_ms"), "ms"),
        Figure(f"{peak_name}.achieved", peak.throughput, "requests/s"),
        Figure(f"{peak_name}.p99", peak.latency_ms("p99_ms"), "ms"),
        Figure("api.orders.max_sustained", best, "requests/s"),
        Figure("api.orders.errors", session.errors, "requests"),
    ]


@dataclass(frozen=True, slots=True)
class Medians:
    """The median of each figure over the rounds of one load shape."""

    throughput: float
    p50_ms: float
    p99_ms: float
    server_cpu_us: float

    @classmethod
    def of(cls, phases: list[Phase]) -> Medians:
        return cls(
            statistics.median(phase.throughput for phase in phases),
            statistics.median(phase.latency_ms("p50_ms") for phase in phases),
            statistics.median(phase.latency_ms("p99_ms") for phase in phases),
            statistics.median(phase.server_cpu_us_per_request for phase in phases),
        )


async def without_and_with_keys(session: Session) -> tuple[Medians, Medians]:
    """The closed loop without keys and with a key on every request, in alternating
    rounds: what the machine does meanwhile weighs on both alike, and the medians leave
    out a round it disturbed."""
    plain: list[Phase] = []
    keyed: list[Phase] = []
    for _ in range(KEYED_ROUNDS):
        for shape, phases in (((), plain), (("--keys",), keyed)):
            phases.append(
                await session.load(
                    "--clients", str(CLOSED_CLIENTS), *shape, warmup_s=WARMUP_S, measure_s=MEASURE_S
                )
            )
    return Medians.of(plain), Medians.of(keyed)


def steps(brokers: Brokers, run_id: str) -> list[Step]:
    return [functools.partial(run, brokers.kafka_bootstrap, run_id)]
