"""Use cases that change orders: one unit of work, one commit (which wakes the relay)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Order, OrderLine
from order_service.service_layer.causation import Causation
from order_service.service_layer.transitions import apply_in
from shared.outbox import add_to_outbox
from shared.service import UseCaseContext

CUSTOMER_CANCELLATION = "cancelled by customer"


async def place_order(
    context: UseCaseContext, *, user_id: UUID, currency: str, lines: Sequence[OrderLine]
) -> Order:
    order, event = Order.place(
        order_id=context.new_id(),
        user_id=user_id,
        currency=currency,
        lines=lines,
        at=context.clock(),
    )
    async with context.unit_of_work() as uow:
        await uow.repository(OrderRepository).add(order)
        await add_to_outbox(uow, context.envelopes([event]))
        await uow.commit()
    return order


async def cancel_order(
    context: UseCaseContext, order_id: UUID, reason: str = CUSTOMER_CANCELLATION
) -> Order:
    """Raises OrderNotFoundError, or IllegalTransitionError for a rejected or cancelled order."""
    async with context.unit_of_work() as uow:
        order = await apply_in(
            uow,
            order_id,
            lambda current: current.cancel(reason, at=context.clock()),
            Causation(context.source),
        )
        await uow.commit()
    return order
