"""Reads: a user, a page of users, a user's notifications."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.users_repository import PageKey, UserRepository
from user_service.domain.errors import UserNotFoundError
from user_service.domain.notification import Notification
from user_service.domain.user import User
from user_service.service_layer.context import ServiceContext
from user_service.service_layer.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True, slots=True)
class UsersPage:
    items: list[User]
    next_cursor: str | None


async def get_user(context: ServiceContext, user_id: UUID) -> User:
    async with context.unit_of_work() as uow:
        user = await UserRepository(uow).get(user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    return user


async def list_users(context: ServiceContext, limit: int, cursor: str | None) -> UsersPage:
    """Users by (created_at, id); raises InvalidCursorError for a cursor not issued here."""
    after = decode_cursor(cursor) if cursor is not None else None
    async with context.unit_of_work() as uow:
        # One more than asked tells whether another page exists without a COUNT.
        users = await UserRepository(uow).list_page(after, limit + 1)
    if len(users) <= limit:
        return UsersPage(users, None)
    last = users[limit - 1]
    return UsersPage(users[:limit], encode_cursor(PageKey(last.created_at, last.id)))


async def list_notifications(
    context: ServiceContext, user_id: UUID, limit: int
) -> list[Notification]:
    async with context.unit_of_work() as uow:
        if not await UserRepository(uow).exists(user_id):
            raise UserNotFoundError(user_id)
        return await NotificationRepository(uow).latest_for(user_id, limit)
