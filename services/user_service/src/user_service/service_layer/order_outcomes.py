"""Reactions to what became of a user's orders: statistics and notifications.

Each takes the caller's unit of work (the subscriber runner's, which also records
the event as processed) and neither commits nor raises events of its own. Writers
of one user's statistics lock the user's row first, then the order's ledger entry,
so they take turns and never deadlock with one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.db import UnitOfWork
from shared.events import Money
from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.order_ledger_repository import OrderLedgerRepository
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import UserNotFoundError
from user_service.domain.notification import Notification
from user_service.domain.order_ledger import CancelledFrom, OrderLedgerEntry
from user_service.domain.user import ConfirmedOrdersTally, User


async def count_confirmed_order(
    uow: UnitOfWork, *, order_id: UUID, user_id: UUID, total: Money, confirmed_at: datetime
) -> None:
    """Add the order to the user's statistics unless it was counted or cancelled before.

    Raises UserNotFoundError, or ConflictingOrderFactsError when the ledger disagrees.
    """
    users, ledger = uow.repository(UserRepository), uow.repository(OrderLedgerRepository)
    user = await _locked_user(users, user_id)
    entry = await ledger.entry_for(order_id, user_id, total)
    if entry.confirm(user_id, total, confirmed_at):
        user.record_confirmed_order(entry.total)
        await users.save(user)
    await ledger.save(entry)


@dataclass(frozen=True, slots=True)
class ConfirmedOrder:
    order_id: UUID
    user_id: UUID
    total: Money
    confirmed_at: datetime


async def count_confirmed_orders(uow: UnitOfWork, orders: Sequence[ConfirmedOrder]) -> None:
    """``count_confirmed_order`` for each order in turn, in a few statements for them all.

    All their users are locked first, in id order, so runs handled concurrently over
    shared users wait for each other instead of deadlocking. Orders new to the ledger
    (the usual case) are entered with their confirmation in one insert; if any was
    known, the stored entries are read and confirmed instead. Raises what
    ``count_confirmed_order`` raises; the caller then commits nothing.
    """
    users, ledger = uow.repository(UserRepository), uow.repository(OrderLedgerRepository)
    locked = await users.lock_many({order.user_id for order in orders})
    for order in orders:
        if order.user_id not in locked:
            raise UserNotFoundError(order.user_id)
    entries = _new_entries(orders)
    counted = _confirm_in_turn(orders, entries)
    if not await ledger.add_new_many(list(entries.values())):
        entries = await ledger.entries_for_many(
            [(order.order_id, order.user_id, order.total) for order in orders]
        )
        counted = _confirm_in_turn(orders, entries)
        await ledger.save_many(list(entries.values()))
    tally = ConfirmedOrdersTally()
    for entry in counted:
        tally.add(entry.user_id, entry.total)
    await users.add_confirmed_orders(tally)


def _new_entries(orders: Sequence[ConfirmedOrder]) -> dict[UUID, OrderLedgerEntry]:
    """Ledger entries with no facts yet, as ``entries_for_many`` makes them for new orders."""
    first = {order.order_id: order for order in reversed(orders)}
    return {
        order_id: OrderLedgerEntry(order_id, order.user_id, order.total)
        for order_id, order in first.items()
    }


def _confirm_in_turn(
    orders: Sequence[ConfirmedOrder], entries: dict[UUID, OrderLedgerEntry]
) -> list[OrderLedgerEntry]:
    """Confirm each order's entry in turn; the entries of the orders that started to count."""
    return [
        entries[order.order_id]
        for order in orders
        if entries[order.order_id].confirm(order.user_id, order.total, order.confirmed_at)
    ]


async def uncount_cancelled_order(
    uow: UnitOfWork,
    *,
    order_id: UUID,
    user_id: UUID,
    total: Money,
    previous_status: CancelledFrom,
    cancelled_at: datetime,
) -> None:
    """Take the order out of the user's statistics if it was counted; remember the
    cancellation so a confirmation arriving later counts nothing.

    Raises UserNotFoundError, ConflictingOrderFactsError, or OrderStatsError when the
    statistics hold less than the order added (they never go below zero).
    """
    users, ledger = uow.repository(UserRepository), uow.repository(OrderLedgerRepository)
    user = await _locked_user(users, user_id)
    entry = await ledger.entry_for(order_id, user_id, total)
    if entry.cancel(user_id, total, previous_status, cancelled_at):
        user.reverse_confirmed_order(entry.total)
        await users.save(user)
    await ledger.save(entry)


async def notify_order_rejected(
    uow: UnitOfWork, *, order_id: UUID, user_id: UUID, reason: str, rejected_at: datetime
) -> None:
    """Record one notification per rejected order, dated when the order was rejected."""
    if not await uow.repository(UserRepository).exists(user_id):
        raise UserNotFoundError(user_id)
    notification = Notification.order_rejected(user_id, order_id, reason, rejected_at)
    await uow.repository(NotificationRepository).add_once(notification)


async def _locked_user(users: UserRepository, user_id: UUID) -> User:
    user = await users.get(user_id, for_update=True)
    if user is None:
        raise UserNotFoundError(user_id)
    return user
