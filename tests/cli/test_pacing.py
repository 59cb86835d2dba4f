"""The load command's pacing on its own: starts on schedule, bounded in flight, every
answer counted by its status."""

from __future__ import annotations

import asyncio
import io

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


async def test_in_flight_requests_are_bounded_and_waiting_is_reported() -> None:
    in_flight = 0
    most = 0

    async def send(_: int) -> str:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return "202"

    tally = Tally("orders", 202)
    await paced(plan(rate=500, concurrency=3), tally, 30, send, io.StringIO())
    assert most == 3
    assert tally.ok == 30
    assert tally.slot_waits > 0
    assert tally.late_starts > 0
    assert "waited for a free request slot" in "\n".join(tally.summary(500))
