"""Registering and deactivating a user: the user and its event committed together; a
refusal (an email or identity taken, an unknown or deactivated user) writes nothing."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from shared.service import UseCaseContext
from tests.support.fakes import FakeUnitOfWork, FakeUserRepository
from tests.unit.user_service.service_layer.conftest import NOW, SOURCE, registered_user
from user_service.domain.errors import (
    EmailAlreadyRegisteredError,
    IdentityAlreadyRegisteredError,
    UserAlreadyDeactivatedError,
    UserNotFoundError,
)
from user_service.domain.identity import Identity
from user_service.domain.user import UserStatus
from user_service.service_layer.users import deactivate_user, register_user

IDENTITY = Identity("https://issuer.example", "subject-1")


async def test_a_registration_stores_the_user_and_commits_one_user_registered_event(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository, new_id: uuid.UUID
) -> None:
    user = await register_user(context, "  Ada@Example.COM ", "Ada", IDENTITY)

    assert (user.id, user.email, user.created_at) == (new_id, "ada@example.com", NOW)
    assert [stored.id for stored in users.users] == [new_id]
    assert (uow.commits, uow.rollbacks) == (1, 0)
    [registered] = uow.outbox
    assert (registered.type, registered.key) == ("user.registered", str(new_id))
    assert registered.payload == {
        "user_id": str(new_id),
        "email": "ada@example.com",
        "name": "Ada",
        "registered_at": "2026-03-01T12:00:00Z",
        "identity_key": IDENTITY.key,
    }
    assert registered.envelope.source == SOURCE


async def test_an_email_registered_before_is_refused_and_nothing_is_written(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository
) -> None:
    first = await register_user(context, "ada@example.com", "Ada")

    with pytest.raises(EmailAlreadyRegisteredError):
        await register_user(replace(context, new_id=uuid.uuid4), " ADA@example.com", "Other")

    assert [stored.id for stored in users.users] == [first.id]
    assert [entry.type for entry in uow.outbox] == ["user.registered"]
    assert (uow.commits, uow.rollbacks) == (1, 1)


async def test_an_identity_with_a_user_is_refused_and_nothing_is_written(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository
) -> None:
    await register_user(context, "ada@example.com", "Ada", IDENTITY)

    with pytest.raises(IdentityAlreadyRegisteredError):
        await register_user(
            replace(context, new_id=uuid.uuid4), "other@example.com", "Other", IDENTITY
        )

    assert len(users.users) == 1
    assert [entry.type for entry in uow.outbox] == ["user.registered"]
    assert uow.rollbacks == 1


async def test_users_without_an_identity_do_not_collide(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository
) -> None:
    await register_user(context, "ada@example.com", "Ada")
    await register_user(replace(context, new_id=uuid.uuid4), "bob@example.com", "Bob")
    assert len(users.users) == 2
    assert uow.commits == 2


async def test_a_deactivation_locks_the_user_and_commits_one_user_deactivated_event(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository
) -> None:
    user = registered_user()
    users.rows[user.id] = user

    deactivated = await deactivate_user(context, user.id)

    assert deactivated.status is UserStatus.DEACTIVATED
    assert users.rows[user.id].status is UserStatus.DEACTIVATED
    assert users.locked == [user.id]
    assert uow.commits == 1
    [event] = uow.outbox
    assert (event.type, event.key) == ("user.deactivated", str(user.id))
    assert event.payload == {"user_id": str(user.id), "deactivated_at": "2026-03-01T12:00:00Z"}


async def test_a_second_deactivation_is_refused_and_writes_no_second_event(
    context: UseCaseContext, uow: FakeUnitOfWork, users: FakeUserRepository
) -> None:
    user = registered_user()
    users.rows[user.id] = user
    await deactivate_user(context, user.id)

    with pytest.raises(UserAlreadyDeactivatedError):
        await deactivate_user(context, user.id)

    assert [entry.type for entry in uow.outbox] == ["user.deactivated"]
    assert (uow.commits, uow.rollbacks) == (1, 1)


async def test_deactivating_an_unknown_user_is_not_found_and_commits_nothing(
    context: UseCaseContext, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(UserNotFoundError):
        await deactivate_user(context, uuid.uuid4())
    assert (uow.commits, uow.rollbacks, uow.outbox) == (0, 1, [])
