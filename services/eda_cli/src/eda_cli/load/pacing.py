"""The two shapes of load, apart from what is sent: ``open_loop`` starts requests on a
fixed schedule, ``closed_loop`` has each of its clients send the next request when the
last was answered. Both count every answer in a ``Tally``.

Open loop: requests start on schedule whether or not earlier ones were answered, so a
slow system shows as latency and errors, not as a quietly lower rate. At most
``concurrency`` requests are in flight; a start that has to wait for a slot is late,
and the tally says how often and how late. Latency runs from the scheduled start:
waiting for a slot counts.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

from eda_cli.load.tally import Tally

Send = Callable[[int], Awaitable[str]]
"""Send the n-th request; return the status code, or the error's class name."""


async def open_loop(
    send: Send,
    tally: Tally,
    *,
    rate: float,
    count: int,
    concurrency: int,
    warmup: int = 0,
    grace_s: float | None = None,
) -> None:
    """Start ``warmup`` + ``count`` requests at ``rate`` per second; the first ``warmup``
    are not counted. Return when every one was answered or, with ``grace_s``, that long
    after the last start: those still unanswered are cancelled and counted as such."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(concurrency)
    in_flight: set[asyncio.Task[None]] = set()
    origin = loop.time()

    def finished(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        slots.release()

    async def timed(index: int, scheduled: float, counted: bool) -> None:
        outcome = await send(index)
        answered = loop.time()
        if counted:
            tally.answered(outcome, answered - scheduled, at=answered)

    try:
        for index in range(warmup + count):
            scheduled = origin + index / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing: the next start is due then
            # Whether every slot was taken, not how long acquiring took: a busy machine
            # can pause the process between two clock reads with a slot free.
            waited_for_slot = slots.locked()
            await slots.acquire()
            started = loop.time()
            counted = index >= warmup
            if counted:
                tally.started(started - scheduled, waited_for_slot=waited_for_slot)
            task = asyncio.create_task(timed(index, scheduled, counted))
            in_flight.add(task)
            task.add_done_callback(finished)
        if in_flight:
            _, unfinished = await asyncio.wait(set(in_flight), timeout=grace_s)
            tally.unanswered(len(unfinished))
    finally:
        for task in in_flight:
            task.cancel()


async def closed_loop(
    send: Send,
    tally: Tally,
    *,
    clients: int,
    count: int | None = None,
    warmup_s: float = 0.0,
    run_s: float | None = None,
) -> None:
    """``clients`` clients, each sending its next request once its last was answered,
    until ``count`` requests were sent or ``run_s`` seconds passed after ``warmup_s`` of
    uncounted ones (whichever is given first). Latency runs from send to answer; an
    exception from ``send`` ends the loop."""
    if count is None and run_s is None:
        raise ValueError("a closed loop needs a count or a duration")
    loop = asyncio.get_running_loop()
    counted_from = loop.time() + warmup_s
    ends_at = None if run_s is None else counted_from + run_s
    indices = itertools.count() if count is None else iter(range(count))

    async def one_client() -> None:
        for index in indices:
            sent = loop.time()
            if ends_at is not None and sent >= ends_at:
                return
            counted = sent >= counted_from
            if counted:
                tally.started(0.0, waited_for_slot=False)
            outcome = await send(index)
            answered = loop.time()
            if counted:
                tally.answered(outcome, answered - sent, at=answered)

    await asyncio.gather(*(one_client() for _ in range(clients)))
