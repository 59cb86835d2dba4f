"""The users context's reactions to the orders context's events, for the subscriber runner.

The runner opens the unit of work, records the event as processed in it, calls the
handler and commits; a handler only translates its event into a use case. Where a
run of events is worth handling in fewer statements than one event at a time, a
batch form of the handler does the same for the whole run.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.db import UnitOfWork
from shared.envelope import Envelope
from shared.events import OrderCancelledV1, OrderConfirmedV1, OrderRejectedV1
from shared.handlers import ContextHandlers, On
from shared.settings import Settings
from user_service.config import SERVICE
from user_service.domain.order_ledger import CancelledFrom
from user_service.entrypoints.delivery_errors import domain_errors_as_delivery_outcomes
from user_service.service_layer import order_outcomes


def no_dependencies(settings: Settings) -> None:
    """These handlers need no setting."""


def _confirmed_order(confirmed: OrderConfirmedV1) -> order_outcomes.ConfirmedOrder:
    return order_outcomes.ConfirmedOrder(
        order_id=confirmed.order_id,
        user_id=confirmed.user_id,
        total=confirmed.total,
        confirmed_at=confirmed.confirmed_at,
    )


async def order_confirmed(
    confirmed: OrderConfirmedV1, envelope: Envelope, uow: UnitOfWork, deps: None
) -> None:
    order = _confirmed_order(confirmed)
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.count_confirmed_order(
            uow,
            order_id=order.order_id,
            user_id=order.user_id,
            total=order.total,
            confirmed_at=order.confirmed_at,
        )


async def orders_confirmed(
    events: Sequence[tuple[OrderConfirmedV1, Envelope]], uow: UnitOfWork, deps: None
) -> None:
    orders = [_confirmed_order(event) for event, _ in events]
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.count_confirmed_orders(uow, orders)


async def order_cancelled(
    cancelled: OrderCancelledV1, envelope: Envelope, uow: UnitOfWork, deps: None
) -> None:
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.uncount_cancelled_order(
            uow,
            order_id=cancelled.order_id,
            user_id=cancelled.user_id,
            total=cancelled.total,
            previous_status=CancelledFrom(cancelled.previous_status),
            cancelled_at=cancelled.cancelled_at,
        )


async def order_rejected(
    rejected: OrderRejectedV1, envelope: Envelope, uow: UnitOfWork, deps: None
) -> None:
    with domain_errors_as_delivery_outcomes():
        await order_outcomes.notify_order_rejected(
            uow,
            order_id=rejected.order_id,
            user_id=rejected.user_id,
            reason=rejected.reason,
            rejected_at=rejected.rejected_at,
        )


EVENT_HANDLERS = ContextHandlers(
    context="users",
    source=SERVICE.source,
    database=SERVICE.database,
    dependencies=no_dependencies,
    handlers=(
        On(OrderConfirmedV1, order_confirmed, handle_many=orders_confirmed),
        On(OrderCancelledV1, order_cancelled),
        On(OrderRejectedV1, order_rejected),
    ),
)
