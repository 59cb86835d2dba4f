"""One ``order.confirmed`` subscriber in a process of its own, driven over stdin and stdout.

``python -m tests.bench.processes.subscriber '<settings JSON>'`` connects to the users
database, builds the consumer wired as the subscriber runner wires it
(``inbox_handlers``: a fetched run of events per unit of work), freezes its
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

from shared.db import create_pool
from shared.envelope import Envelope
from shared.events import Event, OrderConfirmedV1
from shared.heap import freeze_startup_heap
from shared.messaging import BatchHandler, Handler, Subscription, create_consumer
from shared.settings import load_settings
from subscribers.catalog import subscriber_for
from subscribers.runner import inbox_handlers
from tests.support.driven_process import DrivenProcess, commands, say_ready


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


async def serve(config: dict[str, Any]) -> int:
    settings = load_settings(**config)
    subscriber = subscriber_for(OrderConfirmedV1.event_type)
    pool = await create_pool(settings.mysql)
    clock = Clock()
    try:
        handle, handle_many = inbox_handlers(subscriber, settings, pool, _nothing)
        consumer = create_consumer(
            settings,
            Subscription(subscriber.name, subscriber.event_type),
            clock.timed(handle),
            batch_handler=clock.timed_many(handle_many),
        )
        stdin = await commands()
        freeze_startup_heap()
        say_ready()
        if (await stdin.readline()).strip() != b"go":
            return 0
        cpu_before = time.process_time()
        running = asyncio.create_task(consumer.run())
        stop = asyncio.create_task(stdin.readline())  # "stop", or the parent went away
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


class SubscriberProcess(DrivenProcess):
    """The parent's handle on one subscriber process."""

    @classmethod
    async def start(cls, config: dict[str, Any]) -> SubscriberProcess:
        return await cls.launch("tests.bench.processes.subscriber", "subscriber", config)

    async def stop(self, timeout_s: float) -> SubscriberReport:
        report = await self.stopped_report(timeout_s)
        return SubscriberReport(
            int(report["events"]),
            float(report["first"]),
            float(report["last"]),
            float(report["cpu_s"]),
        )


def main() -> None:
    sys.exit(asyncio.run(serve(json.loads(sys.argv[1]))))


if __name__ == "__main__":
    main()
