"""Wait for a condition with a deadline instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    timeout: float = 30.0,
    interval: float = 0.02,
    what: str | Callable[[], str] = "condition",
) -> None:
    """``what`` names the condition in the error at the deadline; a callable is asked
    then, so that the error can say what was still missing."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"{described} not met within {timeout}s")
        await asyncio.sleep(interval)
