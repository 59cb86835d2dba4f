"""Reactions to what became of a user's orders: statistics and notifications.

Each takes the caller's unit of work (the subscriber runner's, which also records
the event as processed) and neither commits nor raises events of its own. Writers
of one user's statistics lock the user's row first, then the order's ledger entry,
so they take turns and never deadlock with one another.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.db.unit_of_work import UnitOfWork
from shared.events import Money
from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.order_ledger_repository import OrderLedgerRepository
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import UserNotFoundError
from user_service.domain.notification import Notification
from user_service.domain.order_ledger import CancelledFrom
from user_service.domain.user import User


async def count_confirmed_order(
    uow: UnitOfWork, *, order_id: UUID, user_id: UUID, total: Money, confirmed_at: datetime
) -> None:
    """Add the order to the user's statistics unless it was counted or cancelled before.

    Raises UserNotFoundError, or ConflictingOrderFactsError when the ledger disagrees.
    """
    users, ledger = UserRepository(uow), OrderLedgerRepository(uow)
    user = await _locked_user(users, user_id)
    entry = await ledger.entry_for(order_id, user_id, total)
    if entry.confirm(user_id, total, confirmed_at):
        user.record_confirmed_order(entry.total)
        await users.save(user)
    await ledger.save(entry)


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
    users, ledger = UserRepository(uow), OrderLedgerRepository(uow)
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
    if not await UserRepository(uow).exists(user_id):
        raise UserNotFoundError(user_id)
    notification = Notification.order_rejected(user_id, order_id, reason, rejected_at)
    await NotificationRepository(uow).add_once(notification)


async def _locked_user(users: UserRepository, user_id: UUID) -> User:
    user = await users.get(user_id, for_update=True)
    if user is None:
        raise UserNotFoundError(user_id)
    return user
