"""The per-order ledger of confirmations and cancellations, stored in ``order_ledger``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.db.unit_of_work import UnitOfWork
from shared.events import Money
from user_service.adapters.rows import from_column, to_column
from user_service.domain.order_ledger import CancelledFrom, OrderLedgerEntry


class OrderLedgerRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def entry_for(self, order_id: UUID, user_id: UUID, total: Money) -> OrderLedgerEntry:
        """The order's entry, locked until the unit of work ends; a new one with no facts
        yet (for this user and total) when the order is new.

        Inserting first, a no-op when the row exists, and then locking the row avoids
        the gap lock that ``SELECT … FOR UPDATE`` takes on a missing row: two first facts
        about different orders would deadlock on it.
        """
        await self._uow.execute(
            "INSERT INTO order_ledger (order_id, user_id, currency, amount) VALUES (%s, %s, %s, %s)"
            " ON DUPLICATE KEY UPDATE order_id = order_id",
            (str(order_id), str(user_id), total.currency, total.amount),
        )
        row = await self._uow.fetchone(
            "SELECT order_id, user_id, currency, amount, confirmed_at, cancelled_at, cancelled_from"
            " FROM order_ledger WHERE order_id = %s FOR UPDATE",
            (str(order_id),),
        )
        assert row is not None  # inserted above or there already
        return _entry_from(row)

    async def save(self, entry: OrderLedgerEntry) -> None:
        """Write back the facts of an entry loaded with ``entry_for``."""
        await self._uow.execute(
            "UPDATE order_ledger SET confirmed_at = %s, cancelled_at = %s, cancelled_from = %s"
            " WHERE order_id = %s",
            (
                _optional_column(entry.confirmed_at),
                _optional_column(entry.cancelled_at),
                entry.cancelled_from.value if entry.cancelled_from is not None else None,
                str(entry.order_id),
            ),
        )


def _optional_column(moment: datetime | None) -> datetime | None:
    return to_column(moment) if moment is not None else None


def _entry_from(row: tuple[Any, ...]) -> OrderLedgerEntry:
    order_id, user_id, currency, amount, confirmed_at, cancelled_at, cancelled_from = row
    return OrderLedgerEntry(
        order_id=UUID(order_id),
        user_id=UUID(user_id),
        total=Money(amount=Decimal(amount), currency=currency),
        confirmed_at=from_column(confirmed_at) if confirmed_at is not None else None,
        cancelled_at=from_column(cancelled_at) if cancelled_at is not None else None,
        cancelled_from=CancelledFrom(cancelled_from) if cancelled_from is not None else None,
    )
