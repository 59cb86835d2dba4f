"""When a relay passes: its lanes, wake-ups, linger, idle poll and error backoff.

No SQL and no broker here: a lane calls the pass it is given and decides from its
``PassOutcome`` when to call it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from shared.settings import OutboxSettings

log = logging.getLogger(__name__)

HELD_ELSEWHERE = -1
"""What a pass returns when every bucket with pending rows was locked by others."""


BUSY_WITHIN_S = 0.1
"""A wake this soon after a pass that published finds the relay busy: it lingers."""


class PassOutcome(NamedTuple):
    published: int
    """Rows sent, or ``HELD_ELSEWHERE``."""
    may_have_left_rows: bool = False
    """The pass took as many buckets, or as many rows of a bucket, as it could."""


Pass = Callable[[], Awaitable[PassOutcome]]
Chores = Callable[[], Awaitable[None]]


class Lanes:
    """``settings.lanes`` loops that each call ``relay_pass`` when woken, when their idle
    poll ends, or at once while passes take all they can; the first lane also runs
    ``chores`` (the purge) after each of its passes."""

    def __init__(self, settings: OutboxSettings, relay_pass: Pass, chores: Chores) -> None:
        self._settings = settings
        self._relay_pass = relay_pass
        self._chores = chores
        self._wakeups = [asyncio.Event() for _ in range(settings.lanes)]
        self._in_pass: list[asyncio.Event] = []  # the wakeups of lanes in a pass
        self._next_lane = 0
        self._stopping = asyncio.Event()
        self._running = False
        self._last_pass_at = -BUSY_WITHIN_S  # when a pass last published

    @property
    def running(self) -> bool:
        return self._running

    def wake(self) -> None:
        """New rows were committed: relay them now rather than at the next poll.

        A lane in the middle of a pass is told to pass again right after it (it may
        have looked before the commit), and takes every row committed meanwhile: under
        load a burst of commits costs one pass, not one each. Starting another lane
        for each commit made most passes find nothing or a single row, and cost the
        request path more CPU than the request. Only when no lane is in a pass does
        an idle one start."""
        if self._in_pass:
            self._in_pass[-1].set()
            return
        self._next_lane = (self._next_lane + 1) % len(self._wakeups)
        self._wakeups[self._next_lane].set()

    def stop(self) -> None:
        self._stopping.set()
        for wakeup in self._wakeups:
            wakeup.set()

    async def run(self) -> None:
        """Run the lanes until ``stop``: while one lane waits for the broker, another
        reads or marks rows of other buckets."""
        self._running = True
        try:
            await asyncio.gather(*(self._lane(wakeup) for wakeup in self._wakeups))
        finally:
            self._running = False

    async def _lane(self, wakeup: asyncio.Event) -> None:
        failures = 0
        idle_poll = IdlePoll(self._settings.idle_poll_s, self._settings.idle_poll_max_s)
        woken = True  # the first pass is asked for, as by a wake
        while not self._stopping.is_set():
            wakeup.clear()  # a wake from here on means: pass again
            try:
                published, may_have_left_rows = await self._pass(wakeup)
                failures = 0
            except Exception as exc:  # a broker or database outage delays, never drops
                failures += 1
                delay = min(self._settings.max_error_backoff_s, 0.1 * 2 ** (failures - 1))
                log.warning("outbox relay pass failed (%s); retrying in %.1fs", exc, delay)
                woken = await _wait(wakeup, delay)
                continue
            if published == HELD_ELSEWHERE:
                woken = await _wait(wakeup, self._settings.held_poll_s)
                continue
            if may_have_left_rows:
                continue  # pass again at once
            if not woken:
                idle_poll.looked()
            # Rows committed since the pass looked wake this lane; a look without a wake
            # right after a pass found nothing nearly every time (three statements).
            woken = await _wait(wakeup, idle_poll.next_s)
            if woken:
                await self._linger(wakeup)

    async def _linger(self, wakeup: asyncio.Event) -> None:
        """While commits come one after another, wait ``linger_s`` after a wake, so
        that the commits of that time share one pass: at 100 orders/s each commit had a
        pass (four statements and a publish) of its own. A wake after a quiet spell
        passes at once, so the first event after idle is not held up."""
        linger_s = self._settings.linger_s
        if linger_s <= 0 or time.monotonic() - self._last_pass_at > BUSY_WITHIN_S:
            return
        self._in_pass.append(wakeup)  # wakes meanwhile are this lane's
        try:
            await _pause(linger_s)
        finally:
            self._in_pass.remove(wakeup)

    async def _pass(self, wakeup: asyncio.Event) -> PassOutcome:
        self._in_pass.append(wakeup)
        try:
            outcome = await self._relay_pass()
            if outcome.published > 0:
                self._last_pass_at = time.monotonic()
            if wakeup is self._wakeups[0]:
                await self._chores()
            return outcome
        finally:
            self._in_pass.remove(wakeup)


_pause = asyncio.sleep


async def _wait(wakeup: asyncio.Event, timeout: float) -> bool:
    """Wait for a wake or the timeout; whether it was a wake."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wakeup.wait(), timeout=timeout)
    return wakeup.is_set()


class IdlePoll:
    """How long a lane waits for a wake before it looks on its own: ``first_s``,
    doubling after each such look, up to ``max_s``.

    The process wakes its relay on each of its own commits, so a look of the lane's own
    only finds rows that another process committed and did not relay (it died before
    its relay ran, or is a tool). Polling every 0.2 s in every process was most of an
    idle system's database work; and a look that found rows was no reason to look more
    often: under load it found the rows of the processes beside it, which relay them
    anyway. A look that took all it could passes again at once, so a dead process's
    backlog still drains in one go.
    """

    def __init__(self, first_s: float, max_s: float) -> None:
        self._max_s = max(first_s, max_s)
        self.next_s = first_s

    def looked(self) -> None:
        self.next_s = min(self._max_s, self.next_s * 2)
