"""Run a consumer until SIGTERM or SIGINT, then let it finish in-flight work."""

from __future__ import annotations

import asyncio
import logging
import signal

from shared.messaging.protocols import Consumer

log = logging.getLogger(__name__)


async def run_until_signalled(consumer: Consumer) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stop, consumer, signum)
    try:
        await consumer.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def _stop(consumer: Consumer, signum: int) -> None:
    # The process's supervisor (make run, Kubernetes) reports the stop itself.
    log.debug("received %s: finishing in-flight work", signal.Signals(signum).name)
    consumer.stop()
