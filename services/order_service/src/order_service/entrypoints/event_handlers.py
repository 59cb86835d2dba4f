"""The orders context's reactions to events, for the subscriber runner.

Each handler translates one event into a use-case call on the unit of work the
runner opened (with its ``processed_events`` claim); the runner commits once, so
the change, the events it raises (to this service's outbox) and the claim land
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from order_service.config import SERVICE, load_event_handler_settings
from order_service.entrypoints.delivery_errors import domain_errors_as_delivery_outcomes
from order_service.service_layer import acceptance, customers
from order_service.service_layer.causation import Causation
from shared.db import UnitOfWork
from shared.envelope import Envelope
from shared.events import OrderPlacedV1, UserDeactivatedV1, UserRegisteredV1
from shared.handlers import ContextHandlers, On
from shared.service import utc_now
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class Dependencies:
    source: str
    unknown_customer_wait: timedelta
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def from_settings(cls, settings: Settings) -> Dependencies:
        """Raises SettingsError, naming the variable, for a malformed handler setting."""
        wait = load_event_handler_settings().unknown_customer_wait_s
        return cls(source=settings.source, unknown_customer_wait=timedelta(seconds=wait))


async def user_registered(
    registered: UserRegisteredV1, envelope: Envelope, uow: UnitOfWork, deps: Dependencies
) -> None:
    await customers.record_registration(
        uow,
        user_id=registered.user_id,
        email=registered.email,
        at=deps.clock(),
        identity_key=registered.identity_key,
    )


async def user_deactivated(
    deactivated: UserDeactivatedV1, envelope: Envelope, uow: UnitOfWork, deps: Dependencies
) -> None:
    await customers.record_deactivation(
        uow,
        user_id=deactivated.user_id,
        at=deps.clock(),
        causation=Causation.of(envelope, source=deps.source),
    )


async def order_placed(
    placed: OrderPlacedV1, envelope: Envelope, uow: UnitOfWork, deps: Dependencies
) -> None:
    with domain_errors_as_delivery_outcomes():
        await acceptance.settle_placed_order(
            uow,
            placed.order_id,
            user_id=placed.user_id,
            placed_at=_aware(envelope.time),
            now=deps.clock(),
            wait=deps.unknown_customer_wait,
            causation=Causation.of(envelope, source=deps.source),
        )


EVENT_HANDLERS = ContextHandlers(
    context="orders",
    source=SERVICE.source,
    database=SERVICE.database,
    dependencies=Dependencies.from_settings,
    handlers=(
        On(UserRegisteredV1, user_registered),
        On(UserDeactivatedV1, user_deactivated),
        On(OrderPlacedV1, order_placed),
    ),
)


def _aware(moment: datetime) -> datetime:
    # CloudEvents times carry an offset; one without is read as UTC rather than refused.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
