"""Use cases that change orders: one unit of work, one commit, then wake the relay."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Order, OrderLine
from order_service.service_layer.context import UseCaseContext
from order_service.service_layer.transitions import change_order, confirm_in, reject_in
from shared.db.unit_of_work import UnitOfWork
from shared.envelope import wrap
from shared.outbox.writer import add_to_outbox

CUSTOMER_CANCELLATION = "cancelled by customer"


async def _committed(
    ctx: UseCaseContext, change: Callable[[UnitOfWork], Awaitable[Order]]
) -> Order:
    """Run one change in its own unit of work, commit once, then wake the relay."""
    async with UnitOfWork(ctx.pool) as uow:
        order = await change(uow)
        await uow.commit()
    ctx.after_commit()
    return order


async def place_order(
    ctx: UseCaseContext,
    *,
    user_id: UUID,
    currency: str,
    lines: Sequence[OrderLine],
    correlation_id: str | None = None,
) -> Order:
    order, event = Order.place(
        order_id=ctx.new_id(), user_id=user_id, currency=currency, lines=lines, at=ctx.clock()
    )

    async def store(uow: UnitOfWork) -> Order:
        await OrderRepository(uow).add(order)
        await add_to_outbox(uow, [wrap(event, source=ctx.source, correlation_id=correlation_id)])
        return order

    return await _committed(ctx, store)


async def cancel_order(
    ctx: UseCaseContext,
    order_id: UUID,
    reason: str = CUSTOMER_CANCELLATION,
    *,
    correlation_id: str | None = None,
) -> Order:
    return await _committed(
        ctx,
        lambda uow: change_order(
            uow,
            order_id,
            lambda current: current.cancel(reason, at=ctx.clock()),
            source=ctx.source,
            correlation_id=correlation_id,
        ),
    )


async def confirm_order(
    ctx: UseCaseContext,
    order_id: UUID,
    *,
    causation_id: str | None = None,
    correlation_id: str | None = None,
) -> Order:
    """Confirm in its own unit of work (subscribers use ``confirm_in`` inside theirs)."""
    return await _committed(
        ctx,
        lambda uow: confirm_in(
            uow,
            order_id,
            at=ctx.clock(),
            source=ctx.source,
            causation_id=causation_id,
            correlation_id=correlation_id,
        ),
    )


async def reject_order(
    ctx: UseCaseContext,
    order_id: UUID,
    reason: str,
    *,
    causation_id: str | None = None,
    correlation_id: str | None = None,
) -> Order:
    """Reject in its own unit of work (subscribers use ``reject_in`` inside theirs)."""
    return await _committed(
        ctx,
        lambda uow: reject_in(
            uow,
            order_id,
            reason,
            at=ctx.clock(),
            source=ctx.source,
            causation_id=causation_id,
            correlation_id=correlation_id,
        ),
    )
