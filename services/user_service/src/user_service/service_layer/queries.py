"""Reads: a user, a keyset page of users, a user's notifications."""

from __future__ import annotations

from uuid import UUID

from shared.db import Page, PageKey, decode_cursor, page_of
from shared.service import UseCaseContext
from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import UserNotFoundError
from user_service.domain.notification import Notification
from user_service.domain.user import User


def _key(user: User) -> PageKey:
    return PageKey(user.created_at, user.id)


async def get_user(context: UseCaseContext, user_id: UUID) -> User:
    async with context.unit_of_work() as uow:
        user = await uow.repository(UserRepository).get(user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    return user


async def list_users(context: UseCaseContext, *, cursor: str | None, limit: int) -> Page[User]:
    """Users by (created_at, id); raises InvalidCursorError for a cursor not issued here."""
    after = decode_cursor(cursor) if cursor is not None else None
    async with context.unit_of_work() as uow:
        found = await uow.repository(UserRepository).page(after=after, limit=limit + 1)
    return page_of(found, limit, _key)


async def list_notifications(
    context: UseCaseContext, user_id: UUID, limit: int
) -> list[Notification]:
    async with context.unit_of_work() as uow:
        if not await uow.repository(UserRepository).exists(user_id):
            raise UserNotFoundError(user_id)
        return await uow.repository(NotificationRepository).latest_for(user_id, limit)
