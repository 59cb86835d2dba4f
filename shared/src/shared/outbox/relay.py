"""Publish committed outbox rows and mark them sent; several relays may run at once.

Each pass locks some buckets that have pending rows (``FOR UPDATE SKIP LOCKED``
on ``outbox_buckets``), publishes those buckets' pending rows in id order, marks
them and commits. A bucket is relayed by one relay at a time and an aggregate
always maps to the same bucket, so per-aggregate order holds with any number of
relays, and no row is published twice unless a relay dies between the broker's
confirm and its commit (at-least-once; consumers are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from typing import Any, NamedTuple

import aiomysql

from shared.db.purge import CHUNK, delete_in_chunks
from shared.db.statements import placeholders
from shared.db.unit_of_work import UnitOfWork
from shared.messaging.protocols import OutgoingMessage, Publisher
from shared.outbox.writer import BUCKETS
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


class OutboxRelay:
    def __init__(self, pool: aiomysql.Pool, publisher: Publisher, settings: OutboxSettings) -> None:
        self._pool = pool
        self._publisher = publisher
        self._settings = settings
        self._wakeups = [asyncio.Event() for _ in range(settings.lanes)]
        self._in_pass: list[asyncio.Event] = []  # the wakeups of lanes in a pass
        self._saturated = False  # the last pass found at least as many buckets as it takes
        self._next_lane = 0
        self._stopping = asyncio.Event()
        self._running = False
        self._last_purge = 0.0
        self._last_pass_at = -BUSY_WITHIN_S  # when a pass last published
        self.published = 0

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
            outcome = await self.relay_pass()
            if outcome.published > 0:
                self._last_pass_at = time.monotonic()
            if wakeup is self._wakeups[0]:
                await self._purge_when_due()
            return outcome
        finally:
            self._in_pass.remove(wakeup)

    async def relay_once(self) -> int:
        """One pass; rows sent, or ``HELD_ELSEWHERE``."""
        return (await self.relay_pass()).published

    async def relay_pass(self) -> PassOutcome:
        """One pass: lock buckets, publish their pending rows, mark them; return rows
        sent, or ``HELD_ELSEWHERE`` when rows are pending only in buckets that other
        lanes or relays hold (worth another look soon, not at the next idle poll)."""
        async with UnitOfWork(self._pool, isolation="READ COMMITTED") as uow:
            buckets = await self._lock_buckets(uow)
            if not buckets:
                return PassOutcome(HELD_ELSEWHERE if await _any_pending(uow) else 0)
            share = -(-self._settings.batch_size // len(buckets))
            rows = await self._pending_rows(uow, buckets, share)
            if not rows:
                return PassOutcome(0)
            await self._publisher.publish_encoded(
                [
                    OutgoingMessage(
                        event_id, event_type, aggregate_id, payload.encode(), parent, state
                    )
                    for _, _, event_id, event_type, aggregate_id, payload, parent, state in rows
                ]
            )
            await uow.execute(
                "UPDATE outbox SET published_at = CURRENT_TIMESTAMP(6)"
                f" WHERE id IN ({placeholders(len(rows))})",
                [row[0] for row in rows],
            )
            await uow.commit()
            self.published += len(rows)
            per_bucket = Counter(row[1] for row in rows)
            full = self._saturated or max(per_bucket.values()) >= share
            return PassOutcome(len(rows), may_have_left_rows=full)

    async def _lock_buckets(self, uow: UnitOfWork) -> list[int]:
        """Lock up to ``buckets_per_pass`` buckets that have pending rows and that no
        other lane or relay holds.

        Only buckets with pending rows: a lane that locked empty ones published nothing
        and slept a whole idle poll while other buckets waited, which cost a single
        relay about a third of its throughput. When the last pass found more pending
        buckets than it could take, the scan starts at a random bucket so that no
        bucket waits behind busier ones; otherwise one scan from the first bucket
        finds them all (a wrapped scan is two statements). InnoDB locks only the rows
        it returns and skips those held elsewhere.
        """
        wanted = self._settings.buckets_per_pass
        start = random.randrange(BUCKETS) if self._saturated else 0
        locked: list[int] = []
        for low, high in ((start, BUCKETS), (0, start)):
            if len(locked) < wanted and low < high:
                rows = await uow.fetchall(
                    "SELECT bucket FROM outbox_buckets b WHERE bucket >= %s AND bucket < %s"
                    " AND (SELECT 1 FROM outbox o WHERE o.published_at IS NULL"
                    " AND o.bucket = b.bucket LIMIT 1) IS NOT NULL"
                    " ORDER BY bucket LIMIT %s FOR UPDATE SKIP LOCKED",
                    (low, high, wanted - len(locked)),
                )
                locked.extend(int(bucket) for (bucket,) in rows)
        self._saturated = len(locked) == wanted
        return locked

    async def _pending_rows(
        self, uow: UnitOfWork, buckets: list[int], share: int
    ) -> list[tuple[Any, ...]]:
        """Each bucket's oldest pending rows (up to ``share``), in id order within the
        bucket.

        One indexed range per bucket (no sort over every pending row); order across
        buckets does not matter, as an aggregate never changes bucket.
        """
        per_bucket = (
            "(SELECT id, bucket, event_id, event_type, aggregate_id, payload, traceparent,"
            " tracestate"
            " FROM outbox"
            " WHERE published_at IS NULL AND bucket = %s ORDER BY id LIMIT %s)"
        )
        return await uow.fetchall(
            " UNION ALL ".join([per_bucket] * len(buckets)),
            [value for bucket in buckets for value in (bucket, share)],
        )

    async def _purge_when_due(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < self._settings.purge_interval_s:
            return
        self._last_purge = now
        purged = await purge_published(self._pool, self._settings.retention_s)
        if purged:
            log.info("purged %d published outbox rows", purged)


async def _any_pending(uow: UnitOfWork) -> bool:
    row = await uow.fetchone("SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1")
    return row is not None


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


async def purge_published(pool: aiomysql.Pool, retention_s: float, chunk: int = CHUNK) -> int:
    """Delete rows published longer ago than the retention, in chunks; return how many."""
    return await delete_in_chunks(
        pool,
        "DELETE FROM outbox WHERE published_at IS NOT NULL"
        " AND published_at < CURRENT_TIMESTAMP(6) - INTERVAL %s MICROSECOND LIMIT %s",
        retention_s,
        chunk,
    )
