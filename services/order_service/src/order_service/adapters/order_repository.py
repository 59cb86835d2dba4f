"""Orders and their lines in MySQL: parametrised SQL on the caller's unit of work."""

from __future__ import annotations

from uuid import UUID

from order_service.adapters.rows import (
    line_from_row,
    order_from_row,
    to_db_time,
)
from order_service.domain import Order, OrderLine, OrderStatus
from shared.db import PageKey, UnitOfWork, placeholders

_SELECT = "SELECT id, user_id, status, currency, reason, created_at, updated_at FROM orders"
_AFTER = "(created_at > %s OR (created_at = %s AND id > %s))"
_ORDERED = " ORDER BY created_at, id LIMIT %s"
# One fixed statement per filter combination: no SQL is assembled from input.
_PAGES = {
    (False, False): _SELECT + _ORDERED,
    (True, False): _SELECT + " WHERE user_id = %s" + _ORDERED,
    (False, True): _SELECT + " WHERE " + _AFTER + _ORDERED,
    (True, True): _SELECT + " WHERE user_id = %s AND " + _AFTER + _ORDERED,
}


class OrderRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, order: Order) -> None:
        await self._uow.execute(
            "INSERT INTO orders (id, user_id, status, currency, total, reason, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                str(order.id),
                str(order.user_id),
                order.status.value,
                order.currency,
                order.total,
                order.reason,
                to_db_time(order.created_at),
                to_db_time(order.updated_at),
            ),
        )
        async with self._uow.connection.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price)"
                " VALUES (%s, %s, %s, %s, %s)",
                [
                    (str(order.id), number, line.sku, line.quantity, line.unit_price)
                    for number, line in enumerate(order.lines, start=1)
                ],
            )

    async def get(self, order_id: UUID, *, for_update: bool = False) -> Order | None:
        """``for_update`` locks the order's row until the unit of work ends."""
        sql = _SELECT + " WHERE id = %s" + (" FOR UPDATE" if for_update else "")
        row = await self._uow.fetchone(sql, (str(order_id),))
        if row is None:
            return None
        lines = await self._lines_of([str(order_id)])
        return order_from_row(row, lines[str(order_id)])

    async def save(self, order: Order) -> None:
        await self._uow.execute(
            "UPDATE orders SET status = %s, reason = %s, updated_at = %s WHERE id = %s",
            (order.status.value, order.reason, to_db_time(order.updated_at), str(order.id)),
        )

    async def lock_pending_of(self, user_id: UUID) -> list[UUID]:
        """The user's pending orders, oldest first, each row locked until the unit of work ends."""
        rows = await self._uow.fetchall(
            "SELECT id FROM orders WHERE user_id = %s AND status = %s"
            " ORDER BY created_at, id FOR UPDATE",
            (str(user_id), OrderStatus.PENDING.value),
        )
        return [UUID(order_id) for (order_id,) in rows]

    async def page(self, *, user_id: UUID | None, after: PageKey | None, limit: int) -> list[Order]:
        """Up to ``limit`` orders in (created_at, id) order, optionally one user's only."""
        args: list[object] = [] if user_id is None else [str(user_id)]
        if after is not None:
            moment = to_db_time(after.created_at)
            args += [moment, moment, str(after.id)]
        rows = await self._uow.fetchall(
            _PAGES[(user_id is not None, after is not None)], (*args, limit)
        )
        if not rows:
            return []
        lines = await self._lines_of([row[0] for row in rows])
        return [order_from_row(row, lines[row[0]]) for row in rows]

    async def _lines_of(self, order_ids: list[str]) -> dict[str, list[OrderLine]]:
        rows = await self._uow.fetchall(
            "SELECT order_id, sku, quantity, unit_price FROM order_items"  # noqa: S608
            f" WHERE order_id IN ({placeholders(len(order_ids))}) ORDER BY order_id, line_no",
            order_ids,
        )
        lines: dict[str, list[OrderLine]] = {order_id: [] for order_id in order_ids}
        for order_id, *line in rows:
            lines[order_id].append(line_from_row(line))
        return lines
