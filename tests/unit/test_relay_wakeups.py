"""How the relay's lanes answer wakes: a wake during a pass means one more pass by the
lane in it; a wake while every lane idles starts one lane. No database: the pass is a
stand-in that waits for a permit the test hands out, so that every pass a wake started
stays in flight, where the test sees it, until the test lets it end."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiomysql

from shared.messaging import Publisher
from shared.outbox.relay import HELD_ELSEWHERE, OutboxRelay, PassOutcome
from shared.settings import OutboxSettings
from tests.support.polling import eventually

IDLE_POLL_S = 60.0  # far beyond the test: any pass seen here was started by a wake
LANES = 2


class RecordingRelay(OutboxRelay):
    def __init__(self, outcome: int = 0) -> None:
        settings = OutboxSettings(lanes=LANES, idle_poll_s=IDLE_POLL_S, held_poll_s=0.001)
        super().__init__(cast(aiomysql.Pool, None), cast(Publisher, None), settings)
        self.outcome = outcome
        self.passes = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.permits = asyncio.Semaphore(0)

    def let_passes_end(self, count: int) -> None:
        for _ in range(count):
            self.permits.release()

    async def relay_pass(self) -> PassOutcome:
        self.passes += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.permits.acquire()
        finally:
            self.in_flight -= 1
        return PassOutcome(self.outcome)

    async def _purge_when_due(self) -> None:
        return None


async def started_and_idle(relay: RecordingRelay) -> asyncio.Task[None]:
    """Every lane passes once on start; then all idle."""
    task = asyncio.create_task(relay.run())
    await eventually(lambda: relay.in_flight == LANES, timeout=5, what="the first passes")
    relay.let_passes_end(LANES)
    await eventually(lambda: relay.in_flight == 0, timeout=5, what="idle lanes")
    relay.most_in_flight = 0
    return task


async def stopped(relay: RecordingRelay, task: asyncio.Task[Any]) -> None:
    relay.stop()
    relay.let_passes_end(1_000)
    await asyncio.wait_for(task, timeout=5)


async def test_a_wake_while_idle_starts_one_lane() -> None:
    relay = RecordingRelay()
    task = await started_and_idle(relay)
    relay.wake()
    await eventually(lambda: relay.passes == LANES + 1, timeout=5, what="a pass after the wake")
    await eventually(lambda: relay.in_flight == 1, timeout=5, what="the pass in flight")
    assert relay.most_in_flight == 1, "one wake started one lane"
    await stopped(relay, task)


async def test_wakes_during_a_pass_make_that_lane_pass_once_more() -> None:
    relay = RecordingRelay()
    task = await started_and_idle(relay)
    relay.wake()
    await eventually(lambda: relay.in_flight == 1, timeout=5, what="a pass in flight")
    for _ in range(10):
        relay.wake()  # commits during the pass: all for the lane in it
    relay.let_passes_end(1)
    await eventually(lambda: relay.passes == LANES + 2, timeout=5, what="the pass after")
    await eventually(lambda: relay.in_flight == 1, timeout=5, what="that pass in flight")
    relay.let_passes_end(1)
    await eventually(lambda: relay.in_flight == 0, timeout=5, what="idle again")
    assert relay.passes == LANES + 2, "ten wakes during one pass cost one more pass, not ten"
    assert relay.most_in_flight == 1, "no second lane was started for them"
    await stopped(relay, task)


async def test_rows_held_by_another_relay_are_looked_at_again_soon() -> None:
    relay = RecordingRelay(outcome=HELD_ELSEWHERE)
    task = asyncio.create_task(relay.run())
    relay.let_passes_end(1_000)
    # Without a wake and long before the idle poll, the lanes keep looking.
    await eventually(lambda: relay.passes >= 10, timeout=5, what="passes after held buckets")
    await stopped(relay, task)
