"""How the lanes answer wakes: a wake during a pass means one more pass by the
lane in it; a wake while every lane idles starts one lane. No database: the pass is a
stand-in that waits for a permit the test hands out, so that every pass a wake started
stays in flight, where the test sees it, until the test lets it end."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.outbox.lanes import HELD_ELSEWHERE, Lanes, PassOutcome
from shared.settings import OutboxSettings
from tests.support.polling import eventually

IDLE_POLL_S = 60.0  # far beyond the test: any pass seen here was started by a wake
LANES = 2


class RecordingLanes(Lanes):
    def __init__(self, outcome: int = 0) -> None:
        settings = OutboxSettings(lanes=LANES, idle_poll_s=IDLE_POLL_S, held_poll_s=0.001)
        super().__init__(settings, self.relay_pass, self.no_chores)
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

    async def no_chores(self) -> None:
        return None


async def started_and_idle(lanes: RecordingLanes) -> asyncio.Task[None]:
    """Every lane passes once on start; then all idle."""
    task = asyncio.create_task(lanes.run())
    await eventually(lambda: lanes.in_flight == LANES, timeout=5, what="the first passes")
    lanes.let_passes_end(LANES)
    await eventually(lambda: lanes.in_flight == 0, timeout=5, what="idle lanes")
    lanes.most_in_flight = 0
    return task


async def stopped(lanes: RecordingLanes, task: asyncio.Task[Any]) -> None:
    lanes.stop()
    lanes.let_passes_end(1_000)
    await asyncio.wait_for(task, timeout=5)


async def test_a_wake_while_idle_starts_one_lane() -> None:
    lanes = RecordingLanes()
    task = await started_and_idle(lanes)
    lanes.wake()
    await eventually(lambda: lanes.passes == LANES + 1, timeout=5, what="a pass after the wake")
    await eventually(lambda: lanes.in_flight == 1, timeout=5, what="the pass in flight")
    assert lanes.most_in_flight == 1, "one wake started one lane"
    await stopped(lanes, task)


async def test_wakes_during_a_pass_make_that_lane_pass_once_more() -> None:
    lanes = RecordingLanes()
    task = await started_and_idle(lanes)
    lanes.wake()
    await eventually(lambda: lanes.in_flight == 1, timeout=5, what="a pass in flight")
    for _ in range(10):
        lanes.wake()  # commits during the pass: all for the lane in it
    lanes.let_passes_end(1)
    await eventually(lambda: lanes.passes == LANES + 2, timeout=5, what="the pass after")
    await eventually(lambda: lanes.in_flight == 1, timeout=5, what="that pass in flight")
    lanes.let_passes_end(1)
    await eventually(lambda: lanes.in_flight == 0, timeout=5, what="idle again")
    assert lanes.passes == LANES + 2, "ten wakes during one pass cost one more pass, not ten"
    assert lanes.most_in_flight == 1, "no second lane was started for them"
    await stopped(lanes, task)


async def test_rows_held_by_another_relay_are_looked_at_again_soon() -> None:
    lanes = RecordingLanes(outcome=HELD_ELSEWHERE)
    task = asyncio.create_task(lanes.run())
    lanes.let_passes_end(1_000)
    # Without a wake and long before the idle poll, the lanes keep looking.
    await eventually(lambda: lanes.passes >= 10, timeout=5, what="passes after held buckets")
    await stopped(lanes, task)
