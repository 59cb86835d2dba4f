"""Clocks for the figures: a stopwatch around a publish loop, a recorder inside handlers,
and both with this process's CPU time beside the wall clock (``Metered``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shared.envelope import Envelope, decode
from shared.events.base import Event


class DeliveryRecorder:
    """Counts handled messages; the rate runs from the first to the last one handled.

    Counting from the first message keeps connection set-up and group joins out of the figure.
    """

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self._first = 0.0
        self._last = 0.0
        self._done = asyncio.Event()

    def record(self) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self._first = now
        self.count += 1
        self._last = now
        if self.count >= self.expected:
            self._done.set()

    async def handle(self, event: Event, envelope: Envelope) -> None:
        """A no-op handler with the ``shared`` signature."""
        self.record()

    async def handle_body(self, body: bytes) -> None:
        """Parse and validate a CloudEvents body, then count it, as a hand-written
        consumer would."""
        envelope = decode(body)
        await self.handle(envelope.event(), envelope)

    async def wait(self, timeout_s: float, running: asyncio.Task[Any] | None = None) -> None:
        """Wait for every expected message; fail early if the consumer's task ends first."""
        done_waiter = asyncio.create_task(self._done.wait())
        watched: set[asyncio.Future[Any]] = (
            {done_waiter} if running is None else {done_waiter, running}
        )
        try:
            await asyncio.wait(watched, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            done_waiter.cancel()
        if self._done.is_set():
            return
        if running is not None and running.done():
            running.result()  # raises the consumer's own error, if it had one
            raise RuntimeError(f"the consumer stopped after {self.count} of {self.expected}")
        raise TimeoutError(f"handled {self.count} of {self.expected} messages in {timeout_s}s")

    @property
    def rate(self) -> float:
        """Messages per second over the intervals between the first and the last message."""
        if self.count < 2 or self._last <= self._first:
            raise ValueError("too few messages to measure a rate")
        return (self.count - 1) / (self._last - self._first)


class Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def rate_while_started(
    broker: Startable, recorder: DeliveryRecorder, timeout_s: float
) -> float:
    """Start ``broker``, wait for every message ``recorder`` expects, stop it: the rate."""
    await broker.start()
    try:
        await recorder.wait(timeout_s)
    finally:
        await broker.stop()
    return recorder.rate


class MeteredRecorder(DeliveryRecorder):
    """A ``DeliveryRecorder`` that also reads this process's CPU time (every thread, user
    and system) at the first and at the expected-th message, the interval of the rate:
    two readings a run, so that the clock costs no message anything."""

    def __init__(self, expected: int) -> None:
        super().__init__(expected)
        self._cpu_first = 0.0
        self._cpu_at_expected = 0.0
        self._at_expected = 0.0

    def record(self) -> None:
        if self.count == 0:
            self._cpu_first = time.process_time()
        super().record()
        if self.count == self.expected:
            self._cpu_at_expected = time.process_time()
            self._at_expected = self._last

    @property
    def metered(self) -> Metered:
        """From the first to the expected-th message (a straggler after it is not counted)."""
        if self.expected < 2 or self.count < self.expected:
            raise ValueError("too few messages to measure a rate")
        return Metered(
            messages=self.expected - 1,
            seconds=self._at_expected - self._first,
            cpu_s=self._cpu_at_expected - self._cpu_first,
        )


@dataclass(frozen=True, slots=True)
class Metered:
    """``messages`` handled or sent in ``seconds`` of wall clock and ``cpu_s`` of this
    process's CPU time (every thread, user and system)."""

    messages: int
    seconds: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_us_per_message(self) -> float:
        return self.cpu_s / self.messages * 1e6


async def metered(count: int, work: Callable[[], Awaitable[None]]) -> Metered:
    """Run ``work`` (which sends ``count`` messages) between two readings of each clock."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    await work()
    seconds = time.perf_counter() - started
    return Metered(count, seconds, time.process_time() - cpu_started)


async def messages_per_second(count: int, work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return count / (time.perf_counter() - started)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout_s: float, what: str, poll_s: float = 0.05
) -> None:
    """Poll ``condition`` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(poll_s)
