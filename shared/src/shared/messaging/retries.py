"""When a message is tried again: exponential backoff with jitter up to a ceiling, and a
wait that shutdown cuts short (the message is then left unacknowledged)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from shared.settings import RetrySettings


class ProcessingAbandoned(Exception):
    """Shutdown began while the message waited to be retried: leave it unacknowledged."""


class Backoff:
    def __init__(self, retry: RetrySettings, jitter: Callable[[], float] = random.random) -> None:
        self.max_attempts = retry.max_attempts
        self._initial_s = retry.initial_backoff_s
        self._max_s = retry.max_backoff_s
        self._jitter = jitter
        self._stopping = asyncio.Event()

    def delay(self, attempt: int) -> float:
        """Seconds before try ``attempt + 1``: half the doubled ceiling plus jitter."""
        ceiling = min(self._max_s, self._initial_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + self._jitter() * ceiling / 2)

    def stop(self) -> None:
        self._stopping.set()

    async def pause(self, delay: float) -> None:
        """Wait ``delay`` seconds; raise ProcessingAbandoned if shutdown begins meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        except TimeoutError:
            return
        raise ProcessingAbandoned
