"""Commit a consumer's handled offsets together, at most every ``interval_s``.

A run's offset was committed as soon as the run was handled: at low rates a run is one
record, so each event cost a commit request, and the broker answered as many commits as
fetches. Offsets still go to the broker only after their records were handled, and all
of them before partitions are given up or the consumer stops (``flush``); a crash in
between redelivers at most an interval's worth of handled records, which the handlers'
idempotency absorbs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiokafka import TopicPartition

Commit = Callable[[dict[TopicPartition, int]], Awaitable[None]]


class OffsetCommits:
    def __init__(self, commit: Commit, interval_s: float) -> None:
        self._commit = commit
        self._interval_s = interval_s
        self._pending: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None

    def handled(self, tp: TopicPartition, next_offset: int) -> None:
        """The partition's records before ``next_offset`` reached their outcome."""
        self._pending[tp] = max(next_offset, self._pending.get(tp, 0))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._after_interval(), name="offset-commits")

    async def flush(self) -> None:
        """Commit what is pending now, and return once it is committed."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        await self._commit_pending()

    def cancel(self) -> None:
        """Forget what is pending (the consumer failed: those records come again)."""
        if self._task is not None:
            self._task.cancel()
        self._pending = {}

    async def _after_interval(self) -> None:
        # Offsets handled while a commit is in flight find this task still running and
        # start none of their own: it goes on until nothing is left pending.
        while True:
            await asyncio.sleep(self._interval_s)
            await self._commit_pending()
            if not self._pending:
                return

    async def _commit_pending(self) -> None:
        if not self._pending:
            return
        offsets, self._pending = self._pending, {}
        try:
            await self._commit(offsets)
        except BaseException:
            # not committed: a later flush tries them again, unless newer ones came
            for tp, offset in offsets.items():
                self._pending[tp] = max(offset, self._pending.get(tp, 0))
            raise
