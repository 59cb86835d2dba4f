"""Notifications for users, stored in ``notifications``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db import UnitOfWork
from user_service.adapters.rows import from_column, to_column
from user_service.domain.notification import Notification


class NotificationRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, notification: Notification) -> None:
        await self._uow.execute(
            "INSERT INTO notifications (id, user_id, kind, message, order_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            _columns(notification),
        )

    async def add_once(self, notification: Notification) -> bool:
        """Insert unless a notification of this kind about this order exists (the
        ``notifications_once`` key); True when inserted."""
        inserted = await self._uow.execute(
            "INSERT INTO notifications (id, user_id, kind, message, order_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id",
            _columns(notification),
        )
        return inserted == 1

    async def latest_for(self, user_id: UUID, limit: int) -> list[Notification]:
        """The user's newest notifications first."""
        rows = await self._uow.fetchall(
            "SELECT id, user_id, kind, message, order_id, created_at FROM notifications"
            " WHERE user_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
            (str(user_id), limit),
        )
        return [_notification_from(row) for row in rows]


def _columns(notification: Notification) -> tuple[Any, ...]:
    return (
        str(notification.id),
        str(notification.user_id),
        notification.kind,
        notification.message,
        str(notification.order_id) if notification.order_id is not None else None,
        to_column(notification.created_at),
    )


def _notification_from(row: tuple[Any, ...]) -> Notification:
    notification_id, user_id, kind, message, order_id, created_at = row
    return Notification(
        id=UUID(notification_id),
        user_id=UUID(user_id),
        kind=kind,
        message=message,
        order_id=UUID(order_id) if order_id else None,
        created_at=from_column(created_at),
    )
