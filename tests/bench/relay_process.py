"""One outbox relay in a process of its own, driven over stdin and stdout.

``python -m tests.bench.relay_process '<settings JSON>'`` connects to the database
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

from shared.db.pool import create_pool
from shared.envelope import Envelope, wrap
from shared.messaging.factory import RoutingPublisher
from shared.outbox.relay import OutboxRelay
from shared.settings import load_settings
from tests.bench.payloads import SOURCE, order_placed

WARM_UP_ORDER = UUID(int=0)
"""The aggregate of the warm-up messages, which are not outbox rows."""
_READY = b"ready"


def warm_up_envelope() -> Envelope:
    """An ``order.placed`` like the rows, so that its topic or routing is the one warmed up."""
    event = order_placed(random.Random()).model_copy(update={"order_id": WARM_UP_ORDER})
    return wrap(event, source=SOURCE)


async def _stdin() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve(config: dict[str, Any]) -> None:
    settings = load_settings(**config)
    pool = await create_pool(settings.mysql)
    publisher = RoutingPublisher(settings)
    try:
        await publisher.publish_many([warm_up_envelope()])
        commands = await _stdin()
        print(_READY.decode(), flush=True)
        if (await commands.readline()).strip() != b"go":
            return
        relay = OutboxRelay(pool, publisher, settings.outbox)
        cpu_before = time.process_time()
        running = asyncio.create_task(relay.run())
        await commands.readline()  # "stop", or the parent went away
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


@dataclass
class RelayProcess:
    """The parent's handle on one relay process."""

    process: asyncio.subprocess.Process

    @classmethod
    async def start(cls, config: dict[str, Any]) -> RelayProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.relay_process",
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def ready(self, timeout_s: float) -> None:
        line = await asyncio.wait_for(self._stdout.readline(), timeout_s)
        if line.strip() != _READY:
            raise RuntimeError(f"relay process {self.process.pid} did not start: {line!r}")

    def go(self) -> None:
        self._stdin.write(b"go\n")

    async def stop(self, timeout_s: float) -> RelayReport:
        """Stop the relay; return how many rows it published and the CPU it used."""
        self._stdin.write(b"stop\n")
        await self._stdin.drain()
        line = await asyncio.wait_for(self._stdout.readline(), timeout_s)
        await asyncio.wait_for(self.process.wait(), timeout_s)
        report = json.loads(line)
        return RelayReport(int(report["published"]), float(report["cpu_s"]))

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
    asyncio.run(serve(json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
