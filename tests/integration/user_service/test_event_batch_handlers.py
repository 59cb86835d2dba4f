"""The batch form of the users context's ``order.confirmed`` handler, run as the subscriber
runner runs it (``batch_handled_once``): a run of events has the effect of handling them
one at a time, and a run that fails leaves nothing behind."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import aiomysql
import pytest

from shared.errors import PermanentError, TransientError
from shared.events import Event, OrderConfirmedV1
from shared.service import UseCaseContext
from shared.settings import load_settings
from subscribers.catalog import subscriber_for
from subscribers.runner import inbox_handlers
from tests.integration.user_service.order_events import (
    cancelled,
    confirmed,
    money,
)
from tests.support.delivery import deliver, envelope_of
from tests.support.mysql import count_rows
from user_service.domain.user import User
from user_service.service_layer import queries, users

CONFIRMED = OrderConfirmedV1.event_type


async def deliver_run(pool: aiomysql.Pool, events: list[Event]) -> None:
    """The run as the subscriber runner hands it over: one unit of work, the batch form."""
    subscriber = subscriber_for(CONFIRMED)
    settings = load_settings(source=subscriber.source)
    _, handle_many = inbox_handlers(subscriber, settings, pool, after_commit=lambda: None)
    await handle_many([(event, envelope_of(event)) for event in events])


async def stats(context: UseCaseContext, user: User) -> tuple[int, dict[str, Decimal]]:
    loaded = await queries.get_user(context, user.id)
    return loaded.orders_count, loaded.total_spent


async def two_users(context: UseCaseContext, tag: str) -> tuple[User, User]:
    return (
        await users.register_user(context, f"ada-{tag}@example.com", "Ada"),
        await users.register_user(context, f"bob-{tag}@example.com", "Bob"),
    )


def history_and_run(ada: UUID, bob: UUID) -> tuple[list[Event], list[Event]]:
    """Facts delivered before, and a run of confirmations with every kind of repeat."""
    counted_before, cancelled_before, twice = uuid4(), uuid4(), uuid4()
    before: list[Event] = [
        confirmed(ada, counted_before, money("2.00")),
        cancelled(bob, cancelled_before, money("3.00")),  # overtook its confirmation
    ]
    run: list[Event] = [
        confirmed(ada, twice, money("12.50")),
        confirmed(bob, uuid4(), money("1.00", "USD")),
        confirmed(ada, twice, money("12.50")),  # the same order again, in a new envelope
        confirmed(ada, counted_before, money("2.00")),
        confirmed(bob, cancelled_before, money("3.00")),
        confirmed(ada, uuid4(), money("0.05")),
        confirmed(bob, uuid4(), money("4.00")),
    ]
    return before, run


async def assert_nothing_recorded(pool: aiomysql.Pool, context: UseCaseContext, user: User) -> None:
    """The run rolled back: no stats for ``user``, no claim, no ledger row."""
    assert await stats(context, user) == (0, {})
    for table in ("processed_events", "order_ledger"):
        assert await count_rows(pool, table) == 0


async def test_a_run_has_the_effect_of_handling_its_events_one_at_a_time(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    one_by_one, together = await two_users(context, "a"), await two_users(context, "b")
    before, run = history_and_run(one_by_one[0].id, one_by_one[1].id)
    for event in before + run:
        await deliver(pool, event)
    before, run = history_and_run(together[0].id, together[1].id)
    for event in before:
        await deliver(pool, event)
    await deliver_run(pool, run)

    expected = [
        (3, {"EUR": Decimal("14.55")}),
        (2, {"USD": Decimal("1.00"), "EUR": Decimal("4.00")}),
    ]
    assert [await stats(context, user) for user in one_by_one] == expected
    assert [await stats(context, user) for user in together] == expected


async def test_a_run_of_orders_new_to_the_ledger_counts_each_once(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    ada, bob = await two_users(context, "a")
    twice = uuid4()
    await deliver_run(
        pool,
        [
            confirmed(ada.id, twice, money("12.50")),
            confirmed(bob.id, uuid4(), money("1.00", "USD")),
            confirmed(ada.id, twice, money("12.50")),  # the same order again, in a new envelope
            confirmed(ada.id, uuid4(), money("0.05")),
        ],
    )
    assert await stats(context, ada) == (2, {"EUR": Decimal("12.55")})
    assert await stats(context, bob) == (1, {"USD": Decimal("1.00")})
    assert await count_rows(pool, "order_ledger") == 3
    assert await count_rows(pool, "order_ledger", "confirmed_at IS NOT NULL") == 3


async def test_free_orders_in_a_run_count_and_store_no_zero_spend(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    ada, _ = await two_users(context, "a")
    await deliver_run(
        pool, [confirmed(ada.id, uuid4(), money("0.00")), confirmed(ada.id, uuid4(), money("0.00"))]
    )
    assert await stats(context, ada) == (2, {})
    assert await count_rows(pool, "user_spend") == 0


async def test_an_order_new_to_the_ledger_named_for_two_users_in_a_run_changes_nothing(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    ada, bob = await two_users(context, "a")
    order_id = uuid4()
    with pytest.raises(PermanentError, match=str(order_id)):
        await deliver_run(
            pool,
            [
                confirmed(ada.id, order_id, money("5.00")),
                confirmed(bob.id, order_id, money("5.00")),
            ],
        )
    await assert_nothing_recorded(pool, context, ada)


async def test_a_run_naming_an_unknown_user_is_transient_and_leaves_nothing_behind(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    ada, _ = await two_users(context, "a")
    stranger = uuid4()
    with pytest.raises(TransientError, match=f"user {stranger} not found"):
        await deliver_run(
            pool,
            [
                confirmed(ada.id, uuid4(), money("1.00")),
                confirmed(stranger, uuid4(), money("1.00")),
            ],
        )
    await assert_nothing_recorded(pool, context, ada)


async def test_conflicting_facts_in_a_run_are_permanent_and_change_nothing(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    ada, bob = await two_users(context, "a")
    order_id = uuid4()
    await deliver(pool, confirmed(ada.id, order_id, money("5.00")))
    with pytest.raises(PermanentError, match=str(order_id)):
        await deliver_run(
            pool,
            [confirmed(bob.id, uuid4(), money("1.00")), confirmed(bob.id, order_id, money("5.00"))],
        )
    assert await stats(context, ada) == (1, {"EUR": Decimal("5.00")})
    assert await stats(context, bob) == (0, {})
    assert await count_rows(pool, "processed_events") == 1
