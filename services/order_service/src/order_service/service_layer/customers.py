"""Reactions to the users context: keep the customer projection, and cancel the pending
orders of a deactivated customer. Each runs inside the caller's unit of work."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from order_service.adapters.customer_repository import CustomerRepository
from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Customer, IllegalTransitionError, Order
from order_service.service_layer.causation import Causation
from order_service.service_layer.transitions import apply_in
from shared.db import UnitOfWork

DEACTIVATION_REASON = "customer deactivated"


async def record_registration(
    uow: UnitOfWork, *, user_id: UUID, email: str, at: datetime, identity_key: str | None = None
) -> Customer:
    return await _learn(uow, Customer.registered(user_id, email, at=at, identity_key=identity_key))


async def record_deactivation(
    uow: UnitOfWork, *, user_id: UUID, at: datetime, causation: Causation
) -> list[Order]:
    """Mark the customer inactive and cancel its pending orders; returns those cancelled.

    The customer's row is locked first: a placement being judged holds it shared, so
    it either finishes before (its order is no longer pending here) or sees the
    customer inactive. Orders placed later are rejected when their event is judged.
    """
    await _learn(uow, Customer.deactivated(user_id, at=at))
    cancelled = []
    for order_id in await uow.repository(OrderRepository).lock_pending_of(user_id):
        try:
            order = await apply_in(
                uow, order_id, lambda order: order.cancel(DEACTIVATION_REASON, at=at), causation
            )
        except IllegalTransitionError:
            continue  # changed between the scan and the lock: nothing left to cancel
        cancelled.append(order)
    return cancelled


async def _learn(uow: UnitOfWork, fact: Customer) -> Customer:
    customers = uow.repository(CustomerRepository)
    known = await customers.add_or_lock(fact)
    if known is None:
        return fact
    merged = known.merged_with(fact)
    if merged is not known:
        await customers.update(merged)
    return merged
