"""The live objects one service process shares: the process runtime (pools,
publisher, relay) and the use cases' context. Nothing else builds these."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from shared.db.pool import create_pool
from shared.db.unit_of_work import UnitOfWork
from shared.messaging.factory import RoutingPublisher
from shared.messaging.protocols import Publisher
from shared.outbox.relay import OutboxRelay
from shared.process_runtime import ProcessRuntime
from shared.service.context import UseCaseContext
from shared.service.settings import ServiceSettings


@dataclass
class ServiceRuntime(ProcessRuntime):
    settings: ServiceSettings
    context: UseCaseContext

    def wake_relay(self) -> None:
        self.relay.wake()


async def start_runtime(
    settings: ServiceSettings, *, publisher: Publisher | None = None
) -> ServiceRuntime:
    """Build everything; the relay task starts only when ``start_relay`` is called, and
    nothing connects to a broker until the relay has rows to publish."""
    platform = settings.platform
    publisher = publisher if publisher is not None else RoutingPublisher(platform)
    pool = await create_pool(platform.mysql)
    # The relay reads at READ COMMITTED, the use cases at REPEATABLE READ: sharing one
    # pool, a connection changed its isolation with a SET twice per request.
    relay_pool = await create_pool(
        platform.mysql.model_copy(
            update={"pool_min_size": 0, "pool_max_size": platform.outbox.lanes + 1}
        )
    )
    relay = OutboxRelay(relay_pool, publisher, platform.outbox)
    context = UseCaseContext(
        unit_of_work=partial(UnitOfWork, pool, after_outbox_commit=relay.wake),
        source=platform.source,
    )
    return ServiceRuntime(
        pool=pool,
        publisher=publisher,
        relay=relay,
        relay_pool=relay_pool,
        settings=settings,
        context=context,
    )
