"""Repositories on MariaDB: what is written reads back exactly, pages are complete and ordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import aiomysql
import pytest

from shared.db import PageKey, UnitOfWork
from shared.events import Money
from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.order_ledger_repository import OrderLedgerRepository
from user_service.adapters.users_repository import UserRepository
from user_service.domain.errors import EmailAlreadyRegisteredError
from user_service.domain.notification import Notification
from user_service.domain.order_ledger import OrderLedgerEntry
from user_service.domain.user import User

NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


async def add(pool: aiomysql.Pool, *users: User) -> None:
    async with UnitOfWork(pool) as uow:
        for user in users:
            await UserRepository(uow).add(user)
        await uow.commit()


async def load(pool: aiomysql.Pool, user: User) -> User:
    async with UnitOfWork(pool) as uow:
        loaded = await UserRepository(uow).get(user.id)
    assert loaded is not None
    return loaded


def new_user(email: str = "ada@example.com", at: datetime = NOW) -> User:
    return User.register(email, "Ada", now=at)[0]


async def test_an_added_user_reads_back_exactly(pool: aiomysql.Pool) -> None:
    user = new_user()
    await add(pool, user)
    loaded = await load(pool, user)
    assert (loaded.id, loaded.email, loaded.name, loaded.status) == (
        user.id,
        "ada@example.com",
        "Ada",
        "active",
    )
    assert loaded.created_at == NOW  # microseconds and UTC survive
    assert (loaded.orders_count, loaded.total_spent) == (0, {})


async def test_an_unknown_user_is_none(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        assert await UserRepository(uow).get(uuid4()) is None
        assert not await UserRepository(uow).exists(uuid4())


async def test_a_taken_email_is_refused_by_the_unique_index(pool: aiomysql.Pool) -> None:
    await add(pool, new_user("ada@example.com"))
    with pytest.raises(EmailAlreadyRegisteredError, match=r"ada@example\.com"):
        await add(pool, new_user(" ADA@example.com"))


async def test_saved_statistics_read_back_as_exact_decimals(pool: aiomysql.Pool) -> None:
    user = new_user()
    await add(pool, user)
    async with UnitOfWork(pool) as uow:
        users = UserRepository(uow)
        locked = await users.get(user.id, for_update=True)
        assert locked is not None
        for amount in ("0.10", "0.20", "99999999999.99"):
            locked.record_confirmed_order(Money(amount=Decimal(amount), currency="EUR"))
        locked.record_confirmed_order(Money(amount=Decimal("1.5"), currency="USD"))
        await users.save(locked)
        await uow.commit()
    loaded = await load(pool, user)
    assert loaded.orders_count == 4
    assert loaded.total_spent == {"EUR": Decimal("100000000000.29"), "USD": Decimal("1.50")}

    async with UnitOfWork(pool) as uow:
        users = UserRepository(uow)
        locked = await users.get(user.id, for_update=True)
        assert locked is not None
        locked.reverse_confirmed_order(Money(amount=Decimal("1.50"), currency="USD"))
        locked.deactivate(NOW)
        await users.save(locked)
        await uow.commit()
    loaded = await load(pool, user)
    assert (loaded.orders_count, loaded.status) == (3, "deactivated")
    assert loaded.total_spent == {"EUR": Decimal("100000000000.29")}  # USD back to zero: gone


async def test_pages_follow_created_at_then_id_and_cover_every_user_once(
    pool: aiomysql.Pool,
) -> None:
    # Several users share one timestamp: the id must break the tie without skipping any.
    earlier = [new_user(f"e{n}@example.com", NOW - timedelta(seconds=1)) for n in range(2)]
    tied = [new_user(f"t{n}@example.com", NOW) for n in range(5)]
    await add(pool, *tied, *earlier)
    expected = sorted(earlier, key=lambda u: str(u.id)) + sorted(tied, key=lambda u: str(u.id))

    seen: list[User] = []
    after: PageKey | None = None
    while True:
        async with UnitOfWork(pool) as uow:
            page = await UserRepository(uow).page(after=after, limit=2)
        if not page:
            break
        seen.extend(page)
        after = PageKey(page[-1].created_at, page[-1].id)
    assert [user.id for user in seen] == [user.id for user in expected]


async def test_a_page_carries_each_users_spend(pool: aiomysql.Pool) -> None:
    spender, other = new_user("s@example.com"), new_user("o@example.com")
    spender.record_confirmed_order(Money(amount=Decimal("12.50"), currency="EUR"))
    await add(pool, spender, other)
    async with UnitOfWork(pool) as uow:
        page = {user.email: user for user in await UserRepository(uow).page(after=None, limit=10)}
    assert page["s@example.com"].total_spent == {"EUR": Decimal("12.50")}
    assert page["o@example.com"].total_spent == {}


async def test_notifications_list_newest_first_for_their_user_only(pool: aiomysql.Pool) -> None:
    user, other = new_user("u@example.com"), new_user("o@example.com")
    await add(pool, user, other)
    made = [
        Notification.order_rejected(user.id, uuid4(), f"reason {n}", NOW + timedelta(minutes=n))
        for n in range(3)
    ]
    async with UnitOfWork(pool) as uow:
        notifications = NotificationRepository(uow)
        for notification in [*made, Notification.order_rejected(other.id, uuid4(), "x", NOW)]:
            await notifications.add(notification)
        await uow.commit()
    async with UnitOfWork(pool) as uow:
        assert await NotificationRepository(uow).latest_for(user.id, 10) == made[::-1]
        assert await NotificationRepository(uow).latest_for(user.id, 2) == made[:0:-1]


async def test_new_ledger_entries_go_in_with_their_facts_or_not_at_all(pool: aiomysql.Pool) -> None:
    user = new_user()
    await add(pool, user)
    known, new = uuid4(), uuid4()
    async with UnitOfWork(pool) as uow:
        ledger = OrderLedgerRepository(uow)
        entry = OrderLedgerEntry(known, user.id, Money(amount=Decimal("2.50"), currency="EUR"))
        entry.confirm(user.id, entry.total, NOW)
        assert await ledger.add_new_many([entry])
        again = OrderLedgerEntry(known, user.id, entry.total)
        other = OrderLedgerEntry(new, user.id, entry.total)
        assert not await ledger.add_new_many([other, again])
        # the refused insert left the transaction and its earlier entry in place
        entries = await ledger.entries_for_many([(known, user.id, entry.total)])
        await uow.commit()
    assert entries[known].confirmed_at == NOW
    assert entries[known].total == Money(amount=Decimal("2.50"), currency="EUR")
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall("SELECT order_id FROM order_ledger")
    assert rows == [(str(known),)]
