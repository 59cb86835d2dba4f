"""Users known by their identity provider's (issuer, subject) on MariaDB: the pair reads
back exactly, one identity has one user even when two registrations race, the event
carries only its key, and users from before identities still load."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import aiomysql
import pytest

from shared.db import UnitOfWork
from shared.events import UserRegisteredV1
from shared.identity import identity_key
from shared.service import UseCaseContext
from tests.support.outbox import outbox_envelopes
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import IdentityAlreadyRegisteredError
from user_service.domain.identity import Identity
from user_service.domain.user import User
from user_service.service_layer import queries, users

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENTRA = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
# Case and accents matter: providers' subjects are compared exactly.
SUBJECTS = ["auth0|5f7c8ec7c33c6c004bbafe82", "AbC", "abc", "ÄbC"]


async def test_the_identity_reads_back_exactly(context: UseCaseContext) -> None:
    registered = []
    for number, subject in enumerate(SUBJECTS):
        identity = Identity(ENTRA, subject)
        registered.append(
            await users.register_user(context, f"u{number}@example.com", "U", identity)
        )
    for user, subject in zip(registered, SUBJECTS, strict=True):
        loaded = await queries.get_user(context, user.id)
        assert loaded.identity == Identity(ENTRA, subject)
        assert loaded.identity_key == identity_key(ENTRA, subject)


async def test_a_second_user_for_one_identity_is_refused_and_nothing_is_written(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    identity = Identity(ENTRA, "auth0|abc")
    await users.register_user(context, "ada@example.com", "Ada", identity)
    with pytest.raises(IdentityAlreadyRegisteredError):
        await users.register_user(context, "other@example.com", "Ada", identity)
    assert [e.type for e in await outbox_envelopes(pool)] == ["user.registered"]


async def test_two_registrations_racing_for_one_identity_make_one_user(
    context: UseCaseContext,
) -> None:
    identity = Identity(ENTRA, "auth0|racer")
    outcomes = await asyncio.gather(
        *(users.register_user(context, f"racer{n}@example.com", "R", identity) for n in range(4)),
        return_exceptions=True,
    )
    made = [outcome for outcome in outcomes if isinstance(outcome, User)]
    assert len(made) == 1
    assert all(
        isinstance(outcome, IdentityAlreadyRegisteredError)
        for outcome in outcomes
        if not isinstance(outcome, User)
    )


async def test_users_without_an_identity_share_no_key(context: UseCaseContext) -> None:
    first = await users.register_user(context, "a@example.com", "A")
    second = await users.register_user(context, "b@example.com", "B")
    for user in (first, second):
        assert (await queries.get_user(context, user.id)).identity is None


async def test_user_registered_carries_the_key_and_never_the_subject(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    await users.register_user(context, "ada@example.com", "Ada", Identity(ENTRA, "auth0|abc"))
    (envelope,) = await outbox_envelopes(pool)
    event = envelope.event()
    assert isinstance(event, UserRegisteredV1)
    assert event.identity_key == identity_key(ENTRA, "auth0|abc")
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT payload FROM outbox")
    assert row is not None
    payload = str(row[0])
    assert "auth0|abc" not in payload
    assert ENTRA not in payload


async def test_a_user_stored_before_identities_loads_and_locks(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        # What the previous release writes: no identity columns named.
        await uow.execute(
            "INSERT INTO users (id, email, name, status, orders_count, created_at)"
            " VALUES ('0b6f3c2e-6a55-4a8e-9a57-2f4f5d7f8e11', 'old@example.com', 'Old',"
            " 'active', 0, NOW(6))"
        )
        await uow.commit()
    async with UnitOfWork(pool) as uow:
        repository = UserRepository(uow)
        user_id = UUID("0b6f3c2e-6a55-4a8e-9a57-2f4f5d7f8e11")
        for loaded in (
            await repository.get(user_id),
            await repository.get(user_id, for_update=True),
        ):
            assert loaded is not None
            assert (loaded.email, loaded.identity) == ("old@example.com", None)
