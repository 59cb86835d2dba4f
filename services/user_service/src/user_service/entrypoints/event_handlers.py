"""The users context's reactions to the orders context's events, for the subscriber runner.

The runner opens the unit of work, records the event as processed in it, calls the
handler and commits; a handler only translates its event into a use case. Where a
run of events is worth handling in fewer statements than one event at a time, a
batch form of the handler does the same for the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TypeVar

from shared.db.idempotency import UnitOfWorkBatchHandler, UnitOfWorkHandler
from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import Event, OrderCancelledV1, OrderConfirmedV1, OrderRejectedV1
from shared.settings import Settings
from user_service.domain.order_ledger import CancelledFrom
from user_service.entrypoints.delivery_errors import domain_errors_as_delivery_outcomes
from user_service.service_layer import order_outcomes

SUBSCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        OrderConfirmedV1.event_type: "users.order-confirmed",
        OrderCancelledV1.event_type: "users.order-cancelled",
        OrderRejectedV1.event_type: "users.order-rejected",
    }
)

_E = TypeVar("_E", bound=Event)


def _confirmed_order(event: Event) -> order_outcomes.ConfirmedOrder:
    confirmed = _expect(event, OrderConfirmedV1)
    return order_outcomes.ConfirmedOrder(
        order_id=confirmed.order_id,
        user_id=confirmed.user_id,
        total=confirmed.total,
        confirmed_at=confirmed.confirmed_at,
    )


async def order_confirmed(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    order = _confirmed_order(event)
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.count_confirmed_order(
            uow,
            order_id=order.order_id,
            user_id=order.user_id,
            total=order.total,
            confirmed_at=order.confirmed_at,
        )


async def orders_confirmed(events: Sequence[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
    orders = [_confirmed_order(event) for event, _ in events]
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.count_confirmed_orders(uow, orders)


async def order_cancelled(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    cancelled = _expect(event, OrderCancelledV1)
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.uncount_cancelled_order(
            uow,
            order_id=cancelled.order_id,
            user_id=cancelled.user_id,
            total=cancelled.total,
            previous_status=CancelledFrom(cancelled.previous_status),
            cancelled_at=cancelled.cancelled_at,
        )


async def order_rejected(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    rejected = _expect(event, OrderRejectedV1)
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.notify_order_rejected(
            uow,
            order_id=rejected.order_id,
            user_id=rejected.user_id,
            reason=rejected.reason,
            rejected_at=rejected.rejected_at,
        )


_HANDLERS: Mapping[str, UnitOfWorkHandler] = MappingProxyType(
    {
        OrderConfirmedV1.event_type: order_confirmed,
        OrderCancelledV1.event_type: order_cancelled,
        OrderRejectedV1.event_type: order_rejected,
    }
)


_BATCH_HANDLERS: Mapping[str, UnitOfWorkBatchHandler] = MappingProxyType(
    {OrderConfirmedV1.event_type: orders_confirmed}
)


def event_handlers(settings: Settings) -> Mapping[str, UnitOfWorkHandler]:
    """Event type -> handler. These handlers need no setting; ``settings`` is the contract."""
    return _HANDLERS


def event_batch_handlers(settings: Settings) -> Mapping[str, UnitOfWorkBatchHandler]:
    """Event type -> the handler's form for a run of events, where it has one."""
    return _BATCH_HANDLERS


def _expect(event: Event, model: type[_E]) -> _E:
    if not isinstance(event, model):
        raise PermanentError(f"expected {model.event_type} v{model.version}, got {event!r}")
    return event
