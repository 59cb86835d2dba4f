"""Reads: one order, a keyset page of orders, who a customer is."""

from __future__ import annotations

from uuid import UUID

from order_service.adapters.customer_repository import CustomerRepository
from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Order
from order_service.service_layer.errors import OrderNotFoundError
from shared.db import Page, PageKey, decode_cursor, page_of
from shared.service import UseCaseContext


def _key(order: Order) -> PageKey:
    return PageKey(order.created_at, order.id)


async def get_order(context: UseCaseContext, order_id: UUID) -> Order:
    async with context.unit_of_work() as uow:
        order = await uow.repository(OrderRepository).get(order_id)
    if order is None:
        raise OrderNotFoundError(order_id)
    return order


async def list_orders(
    context: UseCaseContext, *, user_id: UUID | None, cursor: str | None, limit: int
) -> Page[Order]:
    """Orders by (created_at, id); raises InvalidCursorError for a cursor not issued here."""
    after = decode_cursor(cursor) if cursor is not None else None
    async with context.unit_of_work() as uow:
        found = await uow.repository(OrderRepository).page(
            user_id=user_id, after=after, limit=limit + 1
        )
    return page_of(found, limit, _key)


async def customer_identity(context: UseCaseContext, user_id: UUID) -> str | None:
    """The identity key the customer registered with; None when the customer has none, or
    is not known here yet (its user.registered has not arrived)."""
    async with context.unit_of_work() as uow:
        customer = await uow.repository(CustomerRepository).get(user_id)
    return customer.identity_key if customer is not None else None
