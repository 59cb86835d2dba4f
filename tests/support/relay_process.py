"""One outbox relay in a process of its own, driven over stdin and stdout.

``python -m tests.support.relay_process '<settings JSON>'`` connects to the database
and the broker, publishes one warm-up message (topic creation, metadata, the
channel) and prints ``ready``. On ``go`` it runs ``OutboxRelay`` with the
settings the services use; on ``stop`` (or end of input) it stops the relay and
prints ``{"published": n, "cpu_s": s}``, s being the CPU seconds it used meanwhile.
Each relay is a process as it is in production (one relay per service replica),
so two relays have two event loops and two interpreters, not one shared by both.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.db import create_pool
from shared.envelope import Envelope, wrap
from shared.messaging import RoutingPublisher
from shared.outbox import OutboxRelay
from shared.settings import KafkaSettings, load_settings
from tests.support.driven_process import DrivenProcess, commands, say_ready
from tests.support.event_payloads import SOURCE, order_placed

WARM_UP_ORDER = UUID(int=0)
"""The aggregate of the warm-up messages, which are not outbox rows."""


def warm_up_envelope() -> Envelope:
    """An ``order.placed`` like the rows, so that its topic or routing is the one warmed up."""
    event = order_placed(random.Random()).model_copy(update={"order_id": WARM_UP_ORDER})
    return wrap(event, source=SOURCE)


async def serve(config: dict[str, Any]) -> None:
    settings = load_settings(**config)
    pool = await create_pool(settings.mysql)
    publisher = RoutingPublisher(settings)
    try:
        await publisher.publish_many([warm_up_envelope()])
        stdin = await commands()
        say_ready()
        if (await stdin.readline()).strip() != b"go":
            return
        relay = OutboxRelay(pool, publisher, settings.outbox)
        cpu_before = time.process_time()
        running = asyncio.create_task(relay.run())
        await stdin.readline()  # "stop", or the parent went away
        relay.stop()
        await running
        report = {"published": relay.published, "cpu_s": time.process_time() - cpu_before}
        print(json.dumps(report), flush=True)
    finally:
        await publisher.close()
        pool.close()
        await pool.wait_closed()


@dataclass(frozen=True, slots=True)
class RelayReport:
    published: int
    cpu_s: float


class RelayProcess(DrivenProcess):
    """The parent's handle on one relay process."""

    @classmethod
    async def start(cls, config: dict[str, Any]) -> RelayProcess:
        return await cls.launch("tests.support.relay_process", "relay", config)

    async def stop(self, timeout_s: float) -> RelayReport:
        """Stop the relay; return how many rows it published and the CPU it used."""
        report = await self.stopped_report(timeout_s)
        return RelayReport(int(report["published"]), float(report["cpu_s"]))


def main() -> None:
    asyncio.run(serve(json.loads(sys.argv[1])))


# The Kafka settings of a relay's topics in the bench and in tests/e2e/test_relay_failover.py.
PARTITIONS = 6
SESSION_TIMEOUT_MS = 3_000
FETCH_MAX_WAIT_MS = 10


def kafka_settings(bootstrap: str, topic_prefix: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=topic_prefix,
        partitions=PARTITIONS,
        idempotent_producer=False,  # Tansu refuses it
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        session_timeout_ms=SESSION_TIMEOUT_MS,
    )


if __name__ == "__main__":
    main()
