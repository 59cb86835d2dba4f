"""Publish committed outbox rows and mark them sent; several relays may run at once.

Each pass locks some buckets that have pending rows (``FOR UPDATE SKIP LOCKED``
on ``outbox_buckets``), publishes those buckets' pending rows in id order, marks
them and commits. A bucket is relayed by one relay at a time and an aggregate
always maps to the same bucket, so per-aggregate order holds with any number of
relays, and no row is published twice unless a relay dies between the broker's
confirm and its commit (at-least-once; consumers are idempotent).

The relay composes the two halves: ``OutboxStore`` (the SQL) and ``Lanes`` (when
to pass).
"""

from __future__ import annotations

import logging
import time
from collections import Counter

import aiomysql

from shared.messaging.protocols import OutgoingMessage, Publisher
from shared.outbox.lanes import HELD_ELSEWHERE, Lanes, PassOutcome
from shared.outbox.store import OutboxStore
from shared.settings import OutboxSettings
from shared.telemetry.progress import Progress

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, pool: aiomysql.Pool, publisher: Publisher, settings: OutboxSettings) -> None:
        self._publisher = publisher
        self._settings = settings
        self.store = OutboxStore(pool, settings.buckets_per_pass)
        self.lanes = Lanes(settings, self.relay_pass, self._purge_when_due)
        self._last_purge = 0.0
        self.published = 0
        self.progress = Progress()
        """When this relay last published (``eda_outbox_relay_idle_seconds``)."""

    @property
    def running(self) -> bool:
        return self.lanes.running

    def wake(self) -> None:
        """New rows were committed: relay them now rather than at the next poll."""
        self.lanes.wake()

    def stop(self) -> None:
        self.lanes.stop()

    async def run(self) -> None:
        """Run the lanes until ``stop``."""
        await self.lanes.run()

    async def relay_once(self) -> int:
        """One pass; rows sent, or ``HELD_ELSEWHERE``."""
        return (await self.relay_pass()).published

    async def relay_pass(self) -> PassOutcome:
        """One pass: lock buckets, publish their pending rows, mark them; return rows
        sent, or ``HELD_ELSEWHERE`` when rows are pending only in buckets that other
        lanes or relays hold (worth another look soon, not at the next idle poll)."""
        store = self.store
        async with store.transaction() as uow:
            buckets = await store.claim_buckets(uow)
            if not buckets:
                return PassOutcome(HELD_ELSEWHERE if await store.any_pending(uow) else 0)
            share = -(-self._settings.batch_size // len(buckets))
            rows = await store.due_rows(uow, buckets, share)
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
            await store.mark_published(uow, [row[0] for row in rows])
            await uow.commit()
            self.published += len(rows)
            self.progress.completed()
            per_bucket = Counter(row[1] for row in rows)
            full = store.saturated or max(per_bucket.values()) >= share
            return PassOutcome(len(rows), may_have_left_rows=full)

    async def _purge_when_due(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < self._settings.purge_interval_s:
            return
        self._last_purge = now
        purged = await self.store.purge(self._settings.retention_s)
        if purged:
            log.info("purged %d published outbox rows", purged)
