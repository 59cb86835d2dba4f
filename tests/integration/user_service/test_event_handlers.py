"""The users context's handlers of order events, run as the subscriber runner runs them:
one unit of work with the processed_events claim, on a migrated MariaDB database."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import aiomysql
import httpx
import pytest

from shared.db import UnitOfWork
from shared.errors import PermanentError, TransientError
from shared.service import UseCaseContext
from tests.integration.user_service.order_events import (
    cancelled,
    confirmed,
    money,
    rejected,
)
from tests.support.delivery import deliver
from tests.support.mysql import count_rows
from tests.support.outbox import outbox_envelopes
from user_service.domain.user import User
from user_service.service_layer import queries, users


@pytest.fixture
async def user(context: UseCaseContext) -> User:
    return await users.register_user(context, "ada@example.com", "Ada")


async def stats(context: UseCaseContext, user: User) -> tuple[int, dict[str, Decimal]]:
    loaded = await queries.get_user(context, user.id)
    return loaded.orders_count, loaded.total_spent


async def test_a_confirmed_order_adds_to_the_count_and_the_spend_in_its_currency(
    pool: aiomysql.Pool, context: UseCaseContext, user: User
) -> None:
    await deliver(pool, confirmed(user.id, uuid4(), money("12.50")))
    await deliver(pool, confirmed(user.id, uuid4(), money("0.05")))
    await deliver(pool, confirmed(user.id, uuid4(), money("99999999.99", "USD")))
    assert await stats(context, user) == (
        3,
        {"EUR": Decimal("12.55"), "USD": Decimal("99999999.99")},
    )


async def test_cancelling_a_confirmed_order_subtracts_exactly_what_it_added(
    pool: aiomysql.Pool, context: UseCaseContext, user: User
) -> None:
    kept, cancelled_order = uuid4(), uuid4()
    await deliver(pool, confirmed(user.id, kept, money("10.10")))
    await deliver(pool, confirmed(user.id, cancelled_order, money("0.20")))
    await deliver(pool, cancelled(user.id, cancelled_order, money("0.20")))
    assert await stats(context, user) == (1, {"EUR": Decimal("10.10")})


async def test_cancelling_the_only_order_leaves_zero_not_a_negative(
    pool: aiomysql.Pool, context: UseCaseContext, user: User
) -> None:
    order_id = uuid4()
    await deliver(pool, confirmed(user.id, order_id, money("7.00")))
    await deliver(pool, cancelled(user.id, order_id, money("7.00")))
    assert await stats(context, user) == (0, {})


async def test_an_order_cancelled_while_pending_changes_no_statistic(
    pool: aiomysql.Pool, context: UseCaseContext, user: User
) -> None:
    await deliver(pool, confirmed(user.id, uuid4(), money("3.00")))
    await deliver(pool, cancelled(user.id, uuid4(), money("8.00"), previous_status="pending"))
    assert await stats(context, user) == (1, {"EUR": Decimal("3.00")})


async def test_a_rejected_order_becomes_a_notification_the_api_shows(
    pool: aiomysql.Pool, client: httpx.AsyncClient, user: User
) -> None:
    order_id = uuid4()
    await deliver(pool, rejected(user.id, order_id, reason="customer inactive"))
    response = await client.get(f"/users/{user.id}/notifications")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["kind"] == "order_rejected"
    assert item["order_id"] == str(order_id)
    assert item["message"] == f"Your order {order_id} was rejected: customer inactive"
    assert item["created_at"] == "2026-03-01T12:00:00.250000Z"  # when it was rejected


async def test_the_handlers_raise_no_events(pool: aiomysql.Pool, user: User) -> None:
    order_id = uuid4()
    await deliver(pool, confirmed(user.id, order_id, money("1.00")))
    await deliver(pool, cancelled(user.id, order_id, money("1.00")))
    await deliver(pool, rejected(user.id, uuid4()))
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == ["user.registered"]


async def test_a_redelivered_envelope_has_its_effect_once(
    pool: aiomysql.Pool, context: UseCaseContext, client: httpx.AsyncClient, user: User
) -> None:
    order_id = uuid4()
    for event in [
        confirmed(user.id, order_id, money("4.00")),
        confirmed(user.id, uuid4(), money("6.00")),
        rejected(user.id, uuid4()),
    ]:
        envelope = await deliver(pool, event)
        await deliver(pool, envelope)
    cancellation = await deliver(pool, cancelled(user.id, order_id, money("4.00")))
    await deliver(pool, cancellation)
    assert await stats(context, user) == (1, {"EUR": Decimal("6.00")})
    assert len((await client.get(f"/users/{user.id}/notifications")).json()["items"]) == 1
    assert await count_rows(pool, "processed_events") == 4


async def test_a_second_rejection_of_one_order_in_a_new_envelope_notifies_once(
    pool: aiomysql.Pool, user: User
) -> None:
    order_id = uuid4()
    await deliver(pool, rejected(user.id, order_id))
    await deliver(pool, rejected(user.id, order_id))
    assert await count_rows(pool, "notifications") == 1
    assert await count_rows(pool, "processed_events") == 2


@pytest.mark.parametrize("kind", ["confirmed", "cancelled from confirmed", "pending", "rejected"])
async def test_an_unknown_user_is_transient_and_leaves_nothing_behind(
    pool: aiomysql.Pool, kind: str
) -> None:
    stranger, order_id = uuid4(), uuid4()
    event = {
        "confirmed": confirmed(stranger, order_id, money("1.00")),
        "cancelled from confirmed": cancelled(stranger, order_id, money("1.00")),
        "pending": cancelled(stranger, order_id, money("1.00"), previous_status="pending"),
        "rejected": rejected(stranger, order_id),
    }[kind]
    with pytest.raises(TransientError, match=f"user {stranger} not found"):
        await deliver(pool, event)
    # Not even the claim: a retry after the user appeared would be handled.
    for table in ("processed_events", "order_ledger", "notifications"):
        assert await count_rows(pool, table) == 0


async def test_conflicting_facts_about_an_order_are_permanent_and_change_nothing(
    pool: aiomysql.Pool, context: UseCaseContext, user: User
) -> None:
    other = await users.register_user(context, "bob@example.com", "Bob")
    order_id = uuid4()
    await deliver(pool, confirmed(user.id, order_id, money("5.00")))
    for contradiction in [
        confirmed(other.id, order_id, money("5.00")),
        cancelled(user.id, order_id, money("5.01")),
        cancelled(user.id, order_id, money("5.00"), previous_status="pending"),
    ]:
        with pytest.raises(PermanentError, match=str(order_id)):
            await deliver(pool, contradiction)
    assert await stats(context, user) == (1, {"EUR": Decimal("5.00")})
    assert await stats(context, other) == (0, {})
    assert await count_rows(pool, "processed_events") == 1


async def test_statistics_that_hold_less_than_the_order_added_are_never_taken_below_zero(
    pool: aiomysql.Pool, context: UseCaseContext, user: User
) -> None:
    order_id = uuid4()
    await deliver(pool, confirmed(user.id, order_id, money("5.00")))
    async with UnitOfWork(pool) as uow:  # damage the statistics behind the service's back
        await uow.execute("UPDATE user_spend SET amount = 1.00 WHERE user_id = %s", str(user.id))
        await uow.commit()
    with pytest.raises(PermanentError, match=r"less than the 5\.00 to reverse"):
        await deliver(pool, cancelled(user.id, order_id, money("5.00")))
    assert await stats(context, user) == (1, {"EUR": Decimal("1.00")})
