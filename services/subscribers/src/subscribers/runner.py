"""Run one subscription: consume, hand each fetched run of events to the owning
context's handler inside one idempotent unit of work (one event per unit of work when
a run fails), relay the events the handler wrote, serve health, and stop cleanly on
SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiomysql

from shared.db import batch_handled_once, create_pool, handled_once
from shared.messaging import (
    BatchHandler,
    Handler,
    RoutingPublisher,
    create_consumer,
    run_until_signalled,
)
from shared.outbox import OutboxRelay
from shared.process_runtime import ProcessRuntime
from shared.settings import Settings
from subscribers.catalog import Subscriber
from subscribers.health import health_server

log = logging.getLogger(__name__)


def inbox_handlers(
    subscriber: Subscriber,
    settings: Settings,
    pool: aiomysql.Pool,
    after_commit: Callable[[], None],
) -> tuple[Handler, BatchHandler]:
    """The subscriber's handler applied once per event: a run of events per unit of work,
    and one event per unit of work for the processor's fallback; ``after_commit`` follows
    every commit that wrote events to the outbox."""
    handlers = subscriber.handlers(settings)
    handle = handled_once(pool, subscriber.name, handlers.one, after_outbox_commit=after_commit)
    handle_many = batch_handled_once(
        pool,
        subscriber.name,
        handlers.one,
        handle_together=handlers.many,
        after_outbox_commit=after_commit,
    )
    return handle, handle_many


async def run_subscriber(subscriber: Subscriber, settings: Settings, host: str, port: int) -> None:
    pool = await create_pool(settings.mysql)
    # Events the handler writes are relayed from here at once; the service's own relay
    # would also find them, and two relays are safe.
    publisher = RoutingPublisher(settings)
    relay = OutboxRelay(pool, publisher, settings.outbox)
    runtime = ProcessRuntime(pool, publisher, relay)
    handle, handle_many = inbox_handlers(subscriber, settings, pool, after_commit=relay.wake)
    consumer = create_consumer(
        settings,
        subscriber.subscription,
        handle,
        batch_handler=handle_many,
    )

    async def consuming() -> bool:
        return consumer.ready

    server = health_server({"database": runtime.database_ready, "consumer": consuming}, host, port)
    runtime.start_relay()
    serving = asyncio.create_task(server.serve(), name="health")
    # The consumer says when it is ready, with its broker and partitions or queue.
    log.debug(
        "subscriber %s consuming %s; health on http://%s:%d/healthz",
        subscriber.name,
        subscriber.event_type,
        host,
        port,
    )
    try:
        await run_until_signalled(consumer)
    finally:
        server.should_exit = True
        await serving
        await runtime.close()
