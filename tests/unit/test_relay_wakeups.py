"""How the relay's lanes answer wakes: a wake during a pass means one more pass by the
lane in it; a wake while every lane idles starts one lane. No database: the pass is a
stand-in that records when it ran."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiomysql

from shared.messaging.types import Publisher
from shared.outbox.relay import HELD_ELSEWHERE, OutboxRelay
from shared.settings import OutboxSettings
from tests.support.polling import eventually

IDLE_POLL_S = 60.0  # far beyond the test: any pass seen here was started by a wake


class RecordingRelay(OutboxRelay):
    def __init__(self, outcome: int = 0) -> None:
        settings = OutboxSettings(lanes=2, idle_poll_s=IDLE_POLL_S, held_poll_s=0.001)
        super().__init__(cast(aiomysql.Pool, None), cast(Publisher, None), settings)
        self.outcome = outcome
        self.passes = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.release = asyncio.Event()
        self.release.set()

    async def relay_once(self) -> int:
        self.passes += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return self.outcome

    async def _purge_when_due(self) -> None:
        return None


async def started(relay: RecordingRelay) -> asyncio.Task[None]:
    task = asyncio.create_task(relay.run())
    await eventually(lambda: relay.passes == 2 and relay.in_flight == 0, timeout=5, what="idle")
    return task


async def stopped(relay: RecordingRelay, task: asyncio.Task[Any]) -> None:
    relay.release.set()
    relay.stop()
    await asyncio.wait_for(task, timeout=5)


async def test_a_wake_while_idle_starts_one_lane() -> None:
    relay = RecordingRelay()
    task = await started(relay)
    relay.wake()
    await eventually(lambda: relay.passes == 3, timeout=5, what="a third pass")
    await asyncio.sleep(0)  # let a wrongly woken second lane show itself
    assert relay.passes == 3
    await stopped(relay, task)


async def test_wakes_during_a_pass_make_that_lane_pass_once_more() -> None:
    relay = RecordingRelay()
    task = await started(relay)
    relay.release.clear()
    relay.wake()  # lane starts a pass and waits in it
    await eventually(lambda: relay.in_flight == 1, timeout=5, what="a pass in flight")
    for _ in range(10):
        relay.wake()  # commits during the pass: all for the lane in it
    relay.release.set()
    await eventually(lambda: relay.passes == 4, timeout=5, what="the pass after the wakes")
    for _ in range(5):
        await asyncio.sleep(0)
    assert relay.passes == 4, "ten wakes during one pass cost one more pass, not ten"
    assert relay.most_in_flight == 1, "no second lane was started for them"
    await stopped(relay, task)


async def test_rows_held_by_another_relay_are_looked_at_again_soon() -> None:
    relay = RecordingRelay(outcome=HELD_ELSEWHERE)
    task = asyncio.create_task(relay.run())
    # Without a wake and long before the idle poll, the lanes keep looking.
    await eventually(lambda: relay.passes >= 10, timeout=5, what="passes after held buckets")
    await stopped(relay, task)
