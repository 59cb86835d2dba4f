"""Read use cases: one order, or a keyset page of orders."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from order_service.adapters.order_repository import OrderRepository, PageKey
from order_service.domain import Order
from order_service.service_layer.context import UseCaseContext
from order_service.service_layer.errors import OrderNotFoundError
from order_service.service_layer.pagination import decode_cursor, encode_cursor
from shared.db.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OrderPage:
    items: list[Order]
    next_cursor: str | None


async def get_order(ctx: UseCaseContext, order_id: UUID) -> Order:
    async with UnitOfWork(ctx.pool) as uow:
        order = await OrderRepository(uow).get(order_id)
    if order is None:
        raise OrderNotFoundError(order_id)
    return order


async def list_orders(
    ctx: UseCaseContext, *, user_id: UUID | None, cursor: str | None, limit: int
) -> OrderPage:
    """Raises InvalidCursorError for a cursor this service did not hand out."""
    after = decode_cursor(cursor) if cursor is not None else None
    async with UnitOfWork(ctx.pool) as uow:
        # One more than asked tells whether another page follows.
        orders = await OrderRepository(uow).page(user_id=user_id, after=after, limit=limit + 1)
    items = orders[:limit]
    if len(orders) <= limit:
        return OrderPage(items, None)
    last = items[-1]
    return OrderPage(items, encode_cursor(PageKey(last.created_at, last.id)))
