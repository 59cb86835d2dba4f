"""A consumer run in the background for the length of a block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from shared.messaging import Consumer
from tests.support.polling import eventually


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[asyncio.Task[None]]:
    """Run a consumer in the background until the block ends, then stop it gracefully."""
    task = asyncio.create_task(consumer.run())
    await eventually(lambda: consumer.ready or task.done(), what="consumer ready")
    if task.done():
        task.result()
    try:
        yield task
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)
