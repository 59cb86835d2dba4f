"""The load's pacing on its own: starts on schedule, bounded in flight, every answer
counted by its status; the warm-up and the closed loop the benchmarks use."""

from __future__ import annotations

import asyncio
import io

import pytest

from eda_cli.load.pacing import closed_loop, open_loop
from eda_cli.load.plan import LoadPlan
from eda_cli.load.runner import paced
from eda_cli.load.tally import Tally


def plan(rate: float, concurrency: int) -> LoadPlan:
    return LoadPlan(
        rate=rate,
        duration_s=1,
        users_url="http://users",
        orders_url="http://orders",
        customers=1,
        concurrency=concurrency,
        progress_every_s=0.1,
        timeout_s=1,
    )


async def test_starts_follow_the_schedule_not_the_answers() -> None:
    started = 0
    every_one_started = asyncio.Event()

    async def answered_only_after_the_last_start(index: int) -> str:
        nonlocal started
        started += 1
        if started == 50:
            every_one_started.set()
        # A closed loop would wait for this answer before the next start: it never comes.
        await every_one_started.wait()
        return "202" if index % 10 else "503"

    tally = Tally("orders", 202)
    out = io.StringIO()
    await asyncio.wait_for(
        paced(plan(rate=100, concurrency=100), tally, 50, answered_only_after_the_last_start, out),
        timeout=30,
    )
    assert (tally.sent, tally.ok, dict(tally.errors)) == (50, 45, {"503": 5})
    assert tally.slot_waits == 0
    assert "orders: sent" in out.getvalue()
    summary = "\n".join(tally.summary(100))
    assert "orders: sent 50, ok 45 (202), errors 5 (503: 5)" in summary
    assert "latency p50" in summary


async def test_a_pause_between_clock_reads_is_not_a_slot_wait() -> None:
    """A busy machine deschedules the process at any point: here every clock read comes
    10 ms after the one before, and no start is counted as waiting for a free slot."""
    loop = asyncio.get_running_loop()
    real_time = loop.time
    reads = 0

    def paused_between_reads() -> float:
        nonlocal reads
        reads += 1
        return real_time() + reads * 0.010

    async def send(_: int) -> str:
        return "202"

    tally = Tally("orders", 202)
    loop.time = paused_between_reads  # type: ignore[method-assign]
    try:
        await asyncio.wait_for(
            open_loop(send, tally, rate=1_000, count=20, concurrency=50), timeout=30
        )
    finally:
        loop.time = real_time  # type: ignore[method-assign]
    assert (tally.sent, tally.ok, tally.slot_waits) == (20, 20, 0)


class SlowServer:
    """Answers 202 after ``seconds``; notes the most requests it had in hand at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.in_flight = 0
        self.most = 0

    async def send(self, _: int) -> str:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(self.seconds)  # the server's answer takes that long
        self.in_flight -= 1
        return "202"


async def test_in_flight_requests_are_bounded_and_waiting_is_reported() -> None:
    server = SlowServer(0.05)
    tally = Tally("orders", 202)
    await paced(plan(rate=500, concurrency=3), tally, 30, server.send, io.StringIO())
    assert server.most == 3
    assert tally.ok == 30
    assert tally.slot_waits > 0
    assert tally.late_starts > 0
    assert "waited for a free request slot" in "\n".join(tally.summary(500))


async def test_the_warm_up_is_sent_but_not_counted() -> None:
    sent: list[int] = []

    async def send(index: int) -> str:
        sent.append(index)
        return "202"

    tally = Tally("orders", 202)
    await open_loop(send, tally, rate=1_000, count=20, concurrency=10, warmup=5)
    assert sorted(sent) == list(range(25))
    assert (tally.sent, tally.ok, len(tally.latencies_s)) == (20, 20, 20)


async def test_answers_later_than_the_grace_are_counted_unanswered() -> None:
    never = asyncio.Event()

    async def send(index: int) -> str:
        if index % 2:
            await never.wait()
        return "202"

    tally = Tally("orders", 202)
    await asyncio.wait_for(
        open_loop(send, tally, rate=1_000, count=10, concurrency=10, grace_s=0.2), timeout=30
    )
    assert (tally.ok, dict(tally.errors)) == (5, {"unanswered": 5})


async def test_a_closed_loop_sends_the_next_request_only_after_an_answer() -> None:
    server = SlowServer(0.001)
    tally = Tally("orders", 202)
    await closed_loop(server.send, tally, clients=4, count=40)
    assert (server.most, tally.sent, tally.ok) == (4, 40, 40)


async def test_a_closed_loop_for_a_duration_counts_only_after_the_warm_up() -> None:
    sent = 0

    async def send(_: int) -> str:
        nonlocal sent
        sent += 1
        await asyncio.sleep(0.01)
        return "202"

    tally = Tally("orders", 202)
    await asyncio.wait_for(closed_loop(send, tally, clients=2, warmup_s=0.1, run_s=0.2), timeout=30)
    assert 0 < tally.ok < sent
    assert tally.ok == len(tally.latencies_s) == tally.sent


def test_the_ok_rate_runs_from_the_first_answer_to_the_last() -> None:
    tally = Tally("orders", 202)
    for index in range(101):
        tally.answered("202", 0.002, at=10 + index / 100)
    tally.answered("503", 0.002, at=10.5)
    assert tally.ok_rate() == pytest.approx(100)
