"""order.confirmed and order.cancelled travel separately: whatever order they arrive in,
how often, or how many at once, a user's statistics end exact."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from itertools import permutations
from uuid import UUID, uuid4

import aiomysql
import pytest

from shared.errors import PermanentError
from shared.events import Event, Money
from shared.service import UseCaseContext
from tests.integration.user_service.order_events import cancelled, confirmed, money
from tests.support.delivery import deliver
from tests.support.mysql import count_rows
from user_service.domain.user import User
from user_service.service_layer import queries, users


async def register(context: UseCaseContext, name: str) -> User:
    return await users.register_user(context, f"{name}@example.com", name)


async def stats(context: UseCaseContext, user: User) -> tuple[int, dict[str, Decimal]]:
    loaded = await queries.get_user(context, user.id)
    return loaded.orders_count, loaded.total_spent


def history(user_id: UUID) -> tuple[list[Event], tuple[int, dict[str, Decimal]]]:
    """Facts about five orders, two of them cancelled, and the statistics they end in."""
    totals = [money("10.00"), money("0.01"), money("3.33", "USD"), money("20.00"), money("1.50")]
    orders = [(uuid4(), total) for total in totals]
    events: list[Event] = [confirmed(user_id, order_id, total) for order_id, total in orders]
    events += [cancelled(user_id, order_id, total) for order_id, total in orders[2:4]]
    events.append(cancelled(user_id, uuid4(), money("9.99"), previous_status="pending"))
    return events, (3, {"EUR": Decimal("11.51")})


@pytest.mark.parametrize(
    "arrivals",
    list(dict.fromkeys(permutations(["confirmed", "confirmed", "cancelled", "cancelled"]))),
    ids="-".join,
)
async def test_a_cancelled_order_ends_uncounted_whatever_the_arrival_order_and_repeats(
    pool: aiomysql.Pool, context: UseCaseContext, arrivals: tuple[str, ...]
) -> None:
    user = await register(context, "ada")
    await deliver(pool, confirmed(user.id, uuid4(), money("2.50")))
    order_id, total = uuid4(), money("7.25")
    for arrival in arrivals:  # each a new envelope: a re-sent fact, not a redelivery
        event = confirmed if arrival == "confirmed" else cancelled
        await deliver(pool, event(user.id, order_id, total))
    assert await stats(context, user) == (1, {"EUR": Decimal("2.50")})


async def test_a_cancellation_arriving_first_makes_the_later_confirmation_count_nothing(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user = await register(context, "ada")
    order_id, total = uuid4(), money("12.00")
    await deliver(pool, cancelled(user.id, order_id, total))
    assert await stats(context, user) == (0, {})
    await deliver(pool, confirmed(user.id, order_id, total))
    assert await stats(context, user) == (0, {})
    assert await count_rows(pool, "order_ledger") == 1


async def test_a_history_delivered_in_reverse_ends_as_delivered_forward(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    forward, backward = await register(context, "ada"), await register(context, "bob")
    events, _ = history(forward.id)
    for event in events:
        await deliver(pool, event)
    events, expected = history(backward.id)
    for event in reversed(events):
        await deliver(pool, event)
    assert await stats(context, forward) == expected
    assert await stats(context, backward) == expected


async def test_concurrent_deliveries_for_many_users_and_orders_end_exact(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    people = [await register(context, f"user{number}") for number in range(6)]
    deliveries, expected = [], {}
    for person in people:
        events, expected[person.id] = history(person.id)
        deliveries += [event for event in events for _ in range(2)]  # each fact sent twice
    # More deliveries than pooled connections; both kinds of event for one order in flight.
    await asyncio.gather(*(deliver(pool, event) for event in deliveries[::-1]))
    for person in people:
        assert await stats(context, person) == expected[person.id]


async def test_a_confirmation_of_an_order_cancelled_while_pending_is_permanent(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    # The orders context confirms only pending orders, so this pair means a bug upstream:
    # dead-lettered for a person to look at, never counted.
    user = await register(context, "ada")
    order_id, total = uuid4(), Money(amount=Decimal("4.00"), currency="EUR")
    await deliver(pool, cancelled(user.id, order_id, total, previous_status="pending"))
    with pytest.raises(PermanentError, match="cancelled while pending"):
        await deliver(pool, confirmed(user.id, order_id, total))
    assert await stats(context, user) == (0, {})
