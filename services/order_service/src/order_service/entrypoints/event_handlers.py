"""The orders context's reactions to events, for the subscriber runner.

Each handler translates one event into a use-case call on the unit of work the
runner opened (with its ``processed_events`` claim); the runner commits once, so
the change, the events it raises (to this service's outbox) and the claim land
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TypeVar

from order_service.config import load_event_handler_settings
from order_service.service_layer import acceptance, customers
from order_service.service_layer.causation import Causation
from order_service.service_layer.context import utc_now
from order_service.service_layer.errors import CustomerNotYetKnownError, OrderNotFoundError
from shared.db.idempotency import UnitOfWorkHandler
from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.errors import PermanentError, TransientError
from shared.events import Event, OrderPlacedV1, UserDeactivatedV1, UserRegisteredV1
from shared.settings import Settings

SUBSCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        UserRegisteredV1.event_type: "orders.user-registered",
        UserDeactivatedV1.event_type: "orders.user-deactivated",
        OrderPlacedV1.event_type: "orders.order-placed",
    }
)

_Expected = TypeVar("_Expected", bound=Event)


def event_handlers(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> Mapping[str, UnitOfWorkHandler]:
    """Raises SettingsError, naming the variable, for a malformed handler setting."""
    source = settings.source
    wait = timedelta(seconds=load_event_handler_settings().unknown_customer_wait_s)

    async def user_registered(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        registered = _expect(UserRegisteredV1, event)
        await customers.record_registration(
            uow, user_id=registered.user_id, email=registered.email, at=clock()
        )

    async def user_deactivated(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        deactivated = _expect(UserDeactivatedV1, event)
        await customers.record_deactivation(
            uow,
            user_id=deactivated.user_id,
            at=clock(),
            causation=Causation.of(envelope, source=source),
        )

    async def order_placed(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        placed = _expect(OrderPlacedV1, event)
        try:
            await acceptance.settle_placed_order(
                uow,
                placed.order_id,
                user_id=placed.user_id,
                placed_at=_aware(envelope.time),
                now=clock(),
                wait=wait,
                causation=Causation.of(envelope, source=source),
            )
        except CustomerNotYetKnownError as exc:
            raise TransientError(str(exc)) from exc
        except OrderNotFoundError as exc:
            raise PermanentError(f"{exc}: the order.placed names no order stored here") from exc

    return MappingProxyType(
        {
            UserRegisteredV1.event_type: user_registered,
            UserDeactivatedV1.event_type: user_deactivated,
            OrderPlacedV1.event_type: order_placed,
        }
    )


def _expect(model: type[_Expected], event: Event) -> _Expected:
    if not isinstance(event, model):
        raise PermanentError(
            f"expected {model.event_type} v{model.version}, got {event.event_type} v{event.version}"
        )
    return event


def _aware(moment: datetime) -> datetime:
    # CloudEvents times carry an offset; one without is read as UTC rather than refused.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
