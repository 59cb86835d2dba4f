"""``python -m tests.bench``: throughput of ``shared`` against raw clients and FastStream.

Prints one JSON object per figure on stdout; progress goes to stderr. Starts its own
in-memory Tansu broker for Kafka and uses the RabbitMQ at ``EDA_RABBITMQ__URL``
(default ``amqp://guest:guest@127.0.0.1:5672/``), creating uniquely named
exchanges and queues and deleting them afterwards.
"""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

from eda_local.tansu import running_tansu
from shared.settings import load_settings
from tests.bench import kafka_bench, rabbitmq_bench
from tests.bench.report import configure_logging, emit, log


async def _kafka(bootstrap: str, run_id: str) -> None:
    for figure in await kafka_bench.run(bootstrap, run_id):
        emit(figure)


async def _rabbitmq(url: str, run_id: str) -> None:
    for figure in await rabbitmq_bench.run(url, run_id):
        emit(figure)


def main() -> None:
    configure_logging()
    run_id = uuid4().hex[:12]
    started = time.monotonic()
    log.info("bench run %s", run_id)
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_kafka(bootstrap, run_id))
    asyncio.run(_rabbitmq(load_settings().rabbitmq.url, run_id))
    log.info("done in %.0fs", time.monotonic() - started)


if __name__ == "__main__":
    main()
