"""The reaction to order.placed: confirm or reject the order by its customer's standing,
inside the caller's unit of work."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from order_service.adapters.customer_repository import CustomerRepository, RowLock
from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Accept, Order, OrderStatus, Reject
from order_service.domain.acceptance import judge_placed_order
from order_service.service_layer.causation import Causation
from order_service.service_layer.errors import CustomerNotYetKnownError, OrderNotFoundError
from order_service.service_layer.transitions import apply_to_locked
from shared.db import UnitOfWork


async def settle_placed_order(
    uow: UnitOfWork,
    order_id: UUID,
    *,
    user_id: UUID,
    placed_at: datetime,
    now: datetime,
    wait: timedelta,
    causation: Causation,
) -> Order | None:
    """Confirm or reject a pending order; None when it is no longer pending.

    Raises CustomerNotYetKnownError while the customer is unknown and ``wait`` after
    ``placed_at`` has not passed, and OrderNotFoundError for an order never stored here.
    """
    # The customer's row before the order's, as record_deactivation locks them: no deadlock.
    customer = await uow.repository(CustomerRepository).get(user_id, lock=RowLock.SHARED)
    order = await uow.repository(OrderRepository).get(order_id, for_update=True)
    if order is None:
        raise OrderNotFoundError(order_id)
    if order.status is not OrderStatus.PENDING:
        return None  # cancelled (or settled) before its placement was judged
    verdict = judge_placed_order(customer, placed_at=placed_at, now=now, wait=wait)
    if isinstance(verdict, Accept):
        return await apply_to_locked(uow, order, lambda pending: pending.confirm(at=now), causation)
    if isinstance(verdict, Reject):
        reason = verdict.reason
        return await apply_to_locked(
            uow, order, lambda pending: pending.reject(reason, at=now), causation
        )
    raise CustomerNotYetKnownError(user_id, verdict.remaining)
