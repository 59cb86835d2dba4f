"""The per-order ledger of confirmations and cancellations, stored in ``order_ledger``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pymysql

from shared.db import UnitOfWork, placeholders, row_placeholders
from shared.events import Money
from user_service.adapters.rows import from_column, is_duplicate_of, to_column
from user_service.domain.order_ledger import CancelledFrom, OrderLedgerEntry

# Only "%s" markers are interpolated into the statements for many orders (shared.db.statements).
_INSERT_NEW = (
    "INSERT INTO order_ledger (order_id, user_id, currency, amount) VALUES {}"
    " ON DUPLICATE KEY UPDATE order_id = order_id"
)
_LOCK_ENTRIES = (
    "SELECT order_id, user_id, currency, amount, confirmed_at, cancelled_at, cancelled_from"
    " FROM order_ledger WHERE order_id IN ({}) FOR UPDATE"
)
_INSERT_ENTRIES = (
    "INSERT INTO order_ledger"
    " (order_id, user_id, currency, amount, confirmed_at, cancelled_at, cancelled_from)"
    " VALUES {}"
)
# Every row exists (and is locked): the upsert is one statement updating them all.
_UPDATE_ENTRIES = (
    _INSERT_ENTRIES + " ON DUPLICATE KEY UPDATE confirmed_at = VALUES(confirmed_at),"
    " cancelled_at = VALUES(cancelled_at), cancelled_from = VALUES(cancelled_from)"
)


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

    async def entries_for_many(
        self, orders: list[tuple[UUID, UUID, Money]]
    ) -> dict[UUID, OrderLedgerEntry]:
        """``entry_for`` for several (order id, user id, total), in one or two statements;
        an order named twice is entered with the first of them, as calling in turn would."""
        first = {order_id: (user_id, total) for order_id, user_id, total in reversed(orders)}
        if not first:
            return {}
        ids = sorted(str(order_id) for order_id in first)
        inserted = await self._uow.execute(
            _INSERT_NEW.format(row_placeholders(len(ids), 4)),
            [
                value
                for order_id in ids
                for value in _new_entry_row(UUID(order_id), *first[UUID(order_id)])
            ],
        )
        if inserted == len(ids):  # all new, locked by the insert, no facts yet: nothing to read
            return {
                order_id: OrderLedgerEntry(order_id, user_id, total)
                for order_id, (user_id, total) in first.items()
            }
        rows = await self._uow.fetchall(_LOCK_ENTRIES.format(placeholders(len(ids))), ids)
        return {entry.order_id: entry for entry in map(_entry_from, rows)}

    async def add_new_many(self, entries: list[OrderLedgerEntry]) -> bool:
        """Insert entries, facts and all, for orders the ledger has never heard of, in one
        statement; False, and nothing inserted, if any of them is in the ledger already.

        On a duplicate key InnoDB rolls back only the failing statement, so the unit of
        work goes on and can read the stored entries instead."""
        if not entries:
            return True
        rows = [_entry_row(entry) for entry in sorted(entries, key=lambda e: str(e.order_id))]
        try:
            await self._uow.execute(
                _INSERT_ENTRIES.format(row_placeholders(len(rows), 7)),
                [value for row in rows for value in row],
            )
        except pymysql.err.IntegrityError as exc:
            if is_duplicate_of(exc, "PRIMARY"):
                return False
            raise
        return True

    async def save_many(self, entries: list[OrderLedgerEntry]) -> None:
        """``save`` for several entries loaded with ``entries_for_many``, in one statement."""
        if not entries:
            return
        rows = [_entry_row(entry) for entry in sorted(entries, key=lambda e: str(e.order_id))]
        await self._uow.execute(
            _UPDATE_ENTRIES.format(row_placeholders(len(rows), 7)),
            [value for row in rows for value in row],
        )

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


def _new_entry_row(order_id: UUID, user_id: UUID, total: Money) -> tuple[Any, ...]:
    return (str(order_id), str(user_id), total.currency, total.amount)


def _entry_row(entry: OrderLedgerEntry) -> tuple[Any, ...]:
    return (
        *_new_entry_row(entry.order_id, entry.user_id, entry.total),
        _optional_column(entry.confirmed_at),
        _optional_column(entry.cancelled_at),
        entry.cancelled_from.value if entry.cancelled_from is not None else None,
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
