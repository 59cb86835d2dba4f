"""Reads: an unknown user is not found, also for its notifications; pages follow
(created_at, id) to the end. Reads commit nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared.service import UseCaseContext
from tests.support.fakes import FakeNotificationRepository, FakeUnitOfWork, FakeUserRepository
from tests.unit.user_service.service_layer.conftest import NOW, registered_user
from user_service.domain.errors import UserNotFoundError
from user_service.domain.notification import Notification
from user_service.service_layer.queries import get_user, list_notifications, list_users


async def test_an_unknown_user_is_not_found(context: UseCaseContext) -> None:
    with pytest.raises(UserNotFoundError):
        await get_user(context, uuid.uuid4())


async def test_the_notifications_of_an_unknown_user_are_not_found(
    context: UseCaseContext,
) -> None:
    with pytest.raises(UserNotFoundError):
        await list_notifications(context, uuid.uuid4(), limit=10)


async def test_a_users_newest_notifications_come_first(
    context: UseCaseContext, users: FakeUserRepository, notifications: FakeNotificationRepository
) -> None:
    user = registered_user()
    users.rows[user.id] = user
    older, newer = (
        Notification.order_rejected(user.id, uuid.uuid4(), "no", NOW + timedelta(minutes=m))
        for m in (1, 2)
    )
    someone_elses = Notification.order_rejected(uuid.uuid4(), uuid.uuid4(), "no", NOW)
    for notification in (older, newer, someone_elses):
        notifications.rows[notification.id] = notification

    assert await list_notifications(context, user.id, limit=10) == [newer, older]
    assert await list_notifications(context, user.id, limit=1) == [newer]


async def test_pages_of_users_follow_each_other_to_the_end(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository
) -> None:
    stored = [registered_user(f"user{n}@example.com") for n in range(3)]
    for user in stored:
        users.rows[user.id] = user

    first = await list_users(context, cursor=None, limit=2)
    rest = await list_users(context, cursor=first.next_cursor, limit=2)

    by_key = sorted(stored, key=lambda user: str(user.id))  # one created_at: the id decides
    assert [user.id for user in first.items] == [user.id for user in by_key[:2]]
    assert ([user.id for user in rest.items], rest.next_cursor) == ([by_key[2].id], None)
    assert (uow.commits, uow.outbox) == (0, [])
