"""Run one subscription: consume, hand each event to the owning context's handler
inside an idempotent unit of work, relay the events the handler wrote, serve health,
and stop cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from shared.db.idempotency import idempotent
from shared.db.pool import create_pool
from shared.envelope import Envelope
from shared.events import Event
from shared.messaging.factory import RoutingPublisher, create_consumer
from shared.messaging.types import Subscription
from shared.outbox.relay import OutboxRelay
from shared.outbox.runtime import OutboxRuntime
from shared.settings import Settings
from subscribers.catalog import Subscriber
from subscribers.health import health_server

log = logging.getLogger(__name__)


async def run_subscriber(subscriber: Subscriber, settings: Settings, host: str, port: int) -> None:
    pool = await create_pool(settings.mysql)
    # Events the handler writes are relayed from here at once; the service's own relay
    # would also find them, and two relays are safe.
    publisher = RoutingPublisher(settings)
    relay = OutboxRelay(pool, publisher, settings.outbox)
    runtime = OutboxRuntime(pool, publisher, relay)
    claimed = idempotent(pool, subscriber.name, subscriber.handler(settings))

    async def handle(event: Event, envelope: Envelope) -> None:
        await claimed(event, envelope)
        relay.wake()

    consumer = create_consumer(
        settings, Subscription(subscriber.name, subscriber.event_type), handle
    )

    async def consuming() -> bool:
        return consumer.ready

    server = health_server({"database": runtime.database_ready, "consumer": consuming}, host, port)
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        log.info("%s: finishing in-flight work", signal.Signals(signum).name)
        consumer.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)
    runtime.start_relay()
    serving = asyncio.create_task(server.serve(), name="health")
    log.info(
        "subscriber %s consuming %s; health on http://%s:%d/healthz",
        subscriber.name,
        subscriber.event_type,
        host,
        port,
    )
    try:
        await consumer.run()
    finally:
        server.should_exit = True
        await serving
        await runtime.close()
