"""Concurrent requests: the UNIQUE index and the row lock decide, one event per change."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

import aiomysql
import httpx
import pytest

from shared.db import UnitOfWork
from shared.events import Money
from shared.service import UseCaseContext, utc_now
from tests.support.mysql import count_rows
from tests.support.outbox import outbox_envelopes
from tests.support.polling import eventually
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import EmailAlreadyRegisteredError, UserAlreadyDeactivatedError
from user_service.domain.user import User
from user_service.service_layer import queries, users


async def test_concurrent_registrations_of_one_email_create_one_user(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    spellings = ["ada@example.com", "ADA@example.com", " ada@EXAMPLE.com", "Ada@Example.Com"]
    responses = await asyncio.gather(
        *(client.post("/users", json={"email": email, "name": "Ada"}) for email in spellings)
    )
    assert Counter(response.status_code for response in responses) == {201: 1, 409: 3}
    assert await count_rows(pool, "users") == 1
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == ["user.registered"]


async def test_concurrent_registrations_of_different_emails_all_succeed(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    responses = await asyncio.gather(
        *(client.post("/users", json={"email": f"u{n}@x.io", "name": "U"}) for n in range(8))
    )
    assert {response.status_code for response in responses} == {201}
    assert len(await outbox_envelopes(pool)) == 8


async def test_concurrent_deactivations_deactivate_once(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    user = (await client.post("/users", json={"email": "ada@example.com", "name": "Ada"})).json()
    responses = await asyncio.gather(
        *(client.post(f"/users/{user['id']}/deactivate") for _ in range(4))
    )
    assert Counter(response.status_code for response in responses) == {200: 1, 409: 3}
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == [
        "user.registered",
        "user.deactivated",
    ]


async def someone_waits_for_a_lock(pool: aiomysql.Pool) -> None:
    async def waiting() -> bool:
        async with UnitOfWork(pool) as uow:
            rows = await uow.fetchall("SELECT trx_state FROM information_schema.INNODB_TRX")
        return ("LOCK WAIT",) in rows

    # InnoDB refreshes INNODB_TRX only when it was not read in the last 0.1 s.
    await eventually(waiting, timeout=10, interval=0.15, what="a transaction waits for a lock")


async def test_a_registration_waiting_on_the_unique_index_becomes_a_conflict(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    async with UnitOfWork(pool) as first:
        await UserRepository(first).add(User.register("ada@example.com", "Ada", now=utc_now())[0])
        second = asyncio.create_task(users.register_user(context, "ADA@example.com", "Ada"))
        await someone_waits_for_a_lock(pool)
        await first.commit()
    with pytest.raises(EmailAlreadyRegisteredError):
        await second


async def test_a_deactivation_waiting_on_the_row_lock_sees_the_first_one(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    user = await users.register_user(context, "ada@example.com", "Ada")
    async with UnitOfWork(pool) as first:
        locked = await UserRepository(first).get(user.id, for_update=True)
        assert locked is not None
        second = asyncio.create_task(users.deactivate_user(context, user.id))
        await someone_waits_for_a_lock(pool)
        locked.deactivate(utc_now())
        await UserRepository(first).save(locked)
        await first.commit()
    with pytest.raises(UserAlreadyDeactivatedError):
        await second


async def test_two_users_first_spend_in_flight_at_once_do_not_deadlock(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    # Locking a user must not gap-lock user_spend: both inserts would wait on each other.
    ada, bob = [await users.register_user(context, f"{n}@example.com", n) for n in ("ada", "bob")]
    async with UnitOfWork(pool) as first, UnitOfWork(pool) as second:
        pairs = []
        for uow, user in ((first, ada), (second, bob)):
            locked = await UserRepository(uow).get(user.id, for_update=True)
            assert locked is not None
            locked.record_confirmed_order(Money(amount=Decimal("1.00"), currency="EUR"))
            pairs.append((uow, locked))
        await asyncio.gather(*(UserRepository(uow).save(locked) for uow, locked in pairs))
        await first.commit()
        await second.commit()
    for user in (ada, bob):
        assert (await queries.get_user(context, user.id)).total_spent == {"EUR": Decimal("1.00")}


async def test_spend_stays_exact_when_the_locked_read_sees_an_old_snapshot(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    user = await users.register_user(context, "ada@example.com", "Ada")
    async with UnitOfWork(pool) as late:
        await late.fetchall("SELECT * FROM user_spend")  # fixes this transaction's snapshot
        async with UnitOfWork(pool) as early:
            counted = await UserRepository(early).get(user.id, for_update=True)
            assert counted is not None
            counted.record_confirmed_order(Money(amount=Decimal("5.00"), currency="EUR"))
            await UserRepository(early).save(counted)
            await early.commit()
        locked = await UserRepository(late).get(user.id, for_update=True)
        assert locked is not None
        assert locked.total_spent == {}  # the old snapshot: the 5.00 is not visible
        locked.record_confirmed_order(Money(amount=Decimal("3.00"), currency="EUR"))
        await UserRepository(late).save(locked)
        await late.commit()
    loaded = await queries.get_user(context, user.id)
    assert (loaded.orders_count, loaded.total_spent) == (2, {"EUR": Decimal("8.00")})
