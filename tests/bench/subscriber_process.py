"""One ``order.confirmed`` subscriber in a process of its own, driven over stdin and stdout.

``python -m tests.bench.subscriber_process '<settings JSON>'`` connects to the users
database, builds the consumer wired as the subscriber runner wires it
(``idempotent_handlers``: a fetched run of events per unit of work), freezes its
start-up heap as ``subscriber run`` does, and prints ``ready``. On ``go`` it consumes;
on ``stop`` (or end of input) it stops and prints
``{"events": n, "first": t0, "last": t1, "cpu_s": s}``: the events its handlers
committed, when the first reached a handler and when the last commit returned
(``CLOCK_MONOTONIC``, one clock for every process of the machine), and the CPU
seconds it used. If consuming fails first it prints ``{"error": "..."}`` and exits 1.

Two of them in one consumer group (Kafka) or on one queue (RabbitMQ) are two replicas
of the subscriber, each with its own interpreter, as in production.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.db.pool import create_pool
from shared.envelope import Envelope
from shared.events import Event, OrderConfirmedV1
from shared.heap import freeze_startup_heap
from shared.messaging.factory import create_consumer
from shared.messaging.types import BatchHandler, Handler, Subscription
from shared.settings import load_settings
from subscribers.catalog import subscriber_for
from subscribers.runner import idempotent_handlers

_READY = b"ready"


class Clock:
    """Committed events, the first event's arrival and the last commit, in this process."""

    def __init__(self) -> None:
        self.events = 0
        self.first = 0.0
        self.last = 0.0

    def started(self) -> None:
        if self.first == 0.0:
            self.first = time.clock_gettime(time.CLOCK_MONOTONIC)

    def committed(self, events: int) -> None:
        self.events += events
        self.last = time.clock_gettime(time.CLOCK_MONOTONIC)

    def timed(self, handle: Handler) -> Handler:
        async def timed(event: Event, envelope: Envelope) -> None:
            self.started()
            await handle(event, envelope)
            self.committed(1)

        return timed

    def timed_many(self, handle_many: BatchHandler) -> BatchHandler:
        async def timed(events: Sequence[tuple[Event, Envelope]]) -> None:
            self.started()
            await handle_many(events)
            self.committed(len(events))

        return timed


def _nothing() -> None:
    """No relay to wake: ``order.confirmed`` writes no events of its own."""


async def _stdin() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve(config: dict[str, Any]) -> int:
    settings = load_settings(**config)
    subscriber = subscriber_for(OrderConfirmedV1.event_type)
    pool = await create_pool(settings.mysql)
    clock = Clock()
    try:
        handle, handle_many = idempotent_handlers(subscriber, settings, pool, _nothing)
        consumer = create_consumer(
            settings,
            Subscription(subscriber.name, subscriber.event_type),
            clock.timed(handle),
            batch_handler=clock.timed_many(handle_many),
        )
        commands = await _stdin()
        freeze_startup_heap()
        print(_READY.decode(), flush=True)
        if (await commands.readline()).strip() != b"go":
            return 0
        cpu_before = time.process_time()
        running = asyncio.create_task(consumer.run())
        stop = asyncio.create_task(commands.readline())  # "stop", or the parent went away
        await asyncio.wait({running, stop}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            stop.cancel()
            failure = running.exception()
            print(json.dumps({"error": repr(failure)}), flush=True)
            return 1
        consumer.stop()
        await running
        report = {
            "events": clock.events,
            "first": clock.first,
            "last": clock.last,
            "cpu_s": time.process_time() - cpu_before,
        }
        print(json.dumps(report), flush=True)
        return 0
    finally:
        pool.close()
        await pool.wait_closed()


@dataclass(frozen=True, slots=True)
class SubscriberReport:
    events: int
    first: float
    last: float
    cpu_s: float


class SubscriberProcessError(RuntimeError):
    pass


@dataclass
class SubscriberProcess:
    """The parent's handle on one subscriber process."""

    process: asyncio.subprocess.Process

    @classmethod
    async def start(cls, config: dict[str, Any]) -> SubscriberProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.subscriber_process",
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def ready(self, timeout_s: float) -> None:
        line = await asyncio.wait_for(self._stdout.readline(), timeout_s)
        if line.strip() != _READY:
            raise SubscriberProcessError(
                f"subscriber process {self.process.pid} did not start: {line!r}"
            )

    def go(self) -> None:
        self._stdin.write(b"go\n")

    def check_running(self) -> None:
        """Raise if the process ended before it was told to stop (its consumer failed)."""
        if self.process.returncode is not None:
            raise SubscriberProcessError(
                f"subscriber process {self.process.pid} ended with {self.process.returncode}"
            )

    async def stop(self, timeout_s: float) -> SubscriberReport:
        self._stdin.write(b"stop\n")
        await self._stdin.drain()
        line = await asyncio.wait_for(self._stdout.readline(), timeout_s)
        await asyncio.wait_for(self.process.wait(), timeout_s)
        report = json.loads(line)
        if "error" in report:
            raise SubscriberProcessError(f"subscriber process failed: {report['error']}")
        return SubscriberReport(
            int(report["events"]),
            float(report["first"]),
            float(report["last"]),
            float(report["cpu_s"]),
        )

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    @property
    def _stdin(self) -> asyncio.StreamWriter:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def _stdout(self) -> asyncio.StreamReader:
        assert self.process.stdout is not None
        return self.process.stdout


def main() -> None:
    sys.exit(asyncio.run(serve(json.loads(sys.argv[1]))))


if __name__ == "__main__":
    main()
