"""``python -m tests.bench [messaging|outbox|api ...]``: the figures of ``make bench``.

- ``messaging``: throughput of ``shared`` against raw clients and FastStream.
- ``outbox``: relay throughput (one and two relays) and commit-to-handler latency.
- ``api``: ``POST /orders`` on a real ``order-service serve`` process.
- ``tracing``: the shared Kafka publisher and subscriber with tracing off and on, and
  FastStream's subscriber without and with its OpenTelemetry middleware.
- ``subscriber``: the real ``order.confirmed`` handler, batched vs one transaction each.
- ``flow``: the whole system as processes: ``POST /orders`` response → user stats updated.

No argument runs every group but ``flow``. Prints one JSON object per figure on stdout; progress
goes to stderr. Each group starts its own in-memory Tansu broker for Kafka; RabbitMQ
is the one at ``EDA_RABBITMQ__URL`` (default ``amqp://guest:guest@127.0.0.1:5672/``)
and MariaDB the one the tests use (``EDA_TEST_MYSQL_*``, default root on
127.0.0.1:3306). Exchanges, queues, topics and databases get unique names and are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from uuid import uuid4

from eda_local.tansu import running_tansu
from shared.settings import load_settings
from tests.bench import (
    flow_latency_bench,
    kafka_bench,
    orders_api_bench,
    outbox_bench,
    rabbitmq_bench,
    subscriber_bench,
    tracing_bench,
)
from tests.bench.report import configure_logging, emit, log


async def _kafka(bootstrap: str, run_id: str) -> None:
    for figure in await kafka_bench.run(bootstrap, run_id):
        emit(figure)


async def _rabbitmq(url: str, run_id: str) -> None:
    for figure in await rabbitmq_bench.run(url, run_id):
        emit(figure)


async def _outbox(bootstrap: str, url: str, run_id: str) -> None:
    for step in outbox_bench.steps(bootstrap, url, run_id):
        for figure in await step():
            emit(figure)


async def _api(bootstrap: str, run_id: str) -> None:
    for figure in await orders_api_bench.run(bootstrap, run_id):
        emit(figure)


def messaging(run_id: str) -> None:
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_kafka(bootstrap, run_id))
    asyncio.run(_rabbitmq(load_settings().rabbitmq.url, run_id))


def outbox(run_id: str) -> None:
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_outbox(bootstrap, load_settings().rabbitmq.url, run_id))


def api(run_id: str) -> None:
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_api(bootstrap, run_id))


async def _subscriber(bootstrap: str, url: str, run_id: str) -> None:
    for figure in await subscriber_bench.run(bootstrap, url, run_id):
        emit(figure)


def subscriber(run_id: str) -> None:
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_subscriber(bootstrap, load_settings().rabbitmq.url, run_id))


async def _tracing(bootstrap: str, run_id: str) -> None:
    for figure in await tracing_bench.run(bootstrap, run_id):
        emit(figure)


def tracing(run_id: str) -> None:
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_tracing(bootstrap, run_id))


async def _flow(bootstrap: str) -> None:
    for figure in await flow_latency_bench.run(bootstrap):
        emit(figure)


def flow(run_id: str) -> None:
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        asyncio.run(_flow(bootstrap))


# Not in a default run yet: see "Latest run" in docs/benchmarks.md.
ON_REQUEST = {"flow"}

GROUPS: dict[str, Callable[[str], None]] = {
    "messaging": messaging,
    "outbox": outbox,
    "api": api,
    "tracing": tracing,
    "subscriber": subscriber,
    "flow": flow,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=" | ".join(GROUPS))
    chosen = parser.parse_args(argv).groups or [g for g in GROUPS if g not in ON_REQUEST]
    unknown = sorted(set(chosen) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    configure_logging()
    run_id = uuid4().hex[:12]
    started = time.monotonic()
    log.info("bench run %s: %s", run_id, ", ".join(chosen))
    for group in chosen:
        group_started = time.monotonic()
        GROUPS[group](run_id)
        log.info("%s done in %.0fs", group, time.monotonic() - group_started)
    log.info("done in %.0fs", time.monotonic() - started)


if __name__ == "__main__":
    main()
