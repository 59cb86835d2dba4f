"""The backoff between tries of a message, and the wait that shutdown cuts short."""

from __future__ import annotations

import asyncio

import pytest

from shared.messaging.retries import Backoff, ProcessingAbandoned
from shared.settings import RetrySettings


@pytest.mark.parametrize(("jitter", "expected"), [(0.0, [0.5, 1.0, 2.0, 2.5]), (1.0, [1, 2, 4, 5])])
def test_backoff_doubles_with_jitter_up_to_the_ceiling(
    jitter: float, expected: list[float]
) -> None:
    retry = RetrySettings(max_attempts=10, initial_backoff_s=1.0, max_backoff_s=5.0)
    backoff = Backoff(retry, jitter=lambda: jitter)
    assert [backoff.delay(attempt) for attempt in (1, 2, 3, 9)] == expected


async def test_a_pause_ends_at_its_delay_unless_stopped() -> None:
    backoff = Backoff(RetrySettings(max_attempts=3, initial_backoff_s=60, max_backoff_s=60))
    await backoff.pause(0.001)  # returns: nobody stopped it
    waiting = asyncio.create_task(backoff.pause(60))
    backoff.stop()
    with pytest.raises(ProcessingAbandoned):
        await asyncio.wait_for(waiting, timeout=5)
