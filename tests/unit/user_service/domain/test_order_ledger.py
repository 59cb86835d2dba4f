"""The per-order ledger: confirmations and cancellations count once, in any order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import permutations
from uuid import UUID, uuid4

import pytest

from shared.events import Money
from user_service.domain.errors import ConflictingOrderFactsError, OrderStatsError
from user_service.domain.order_ledger import CancelledFrom, OrderLedgerEntry
from user_service.domain.user import User

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USER = UUID("8547acaa-7147-489a-9241-2110d7c25e3f")
TOTAL = Money(amount=Decimal("12.50"), currency="EUR")
PENDING, CONFIRMED = CancelledFrom.PENDING, CancelledFrom.CONFIRMED

Fact = Callable[[OrderLedgerEntry, User], None]


def new_entry() -> OrderLedgerEntry:
    return OrderLedgerEntry(order_id=uuid4(), user_id=USER, total=TOTAL)


def new_user() -> User:
    return User.register("ada@example.com", "Ada", now=NOW, user_id=USER)[0]


def confirmation(entry: OrderLedgerEntry, user: User) -> None:
    """What the service layer does with an order.confirmed."""
    if entry.confirm(USER, TOTAL, NOW):
        user.record_confirmed_order(entry.total)


def cancellation(entry: OrderLedgerEntry, user: User) -> None:
    """What the service layer does with an order.cancelled from confirmed."""
    if entry.cancel(USER, TOTAL, CONFIRMED, NOW):
        user.reverse_confirmed_order(entry.total)


def test_a_confirmation_counts_the_order() -> None:
    entry = new_entry()
    assert entry.confirm(USER, TOTAL, NOW) is True
    assert (entry.confirmed_at, entry.counted) == (NOW, True)


def test_a_repeated_confirmation_counts_nothing_more() -> None:
    entry = new_entry()
    entry.confirm(USER, TOTAL, NOW)
    assert entry.confirm(USER, TOTAL, NOW) is False
    assert entry.counted


def test_cancelling_a_counted_order_uncounts_it_once() -> None:
    entry = new_entry()
    entry.confirm(USER, TOTAL, NOW)
    assert entry.cancel(USER, TOTAL, CONFIRMED, NOW) is True
    assert entry.cancel(USER, TOTAL, CONFIRMED, NOW) is False
    assert (entry.counted, entry.cancelled_at, entry.cancelled_from) == (False, NOW, CONFIRMED)


def test_a_cancellation_before_its_confirmation_makes_the_confirmation_count_nothing() -> None:
    entry = new_entry()
    assert entry.cancel(USER, TOTAL, CONFIRMED, NOW) is False
    assert entry.confirm(USER, TOTAL, NOW) is False
    assert not entry.counted
    assert entry.confirmed_at == NOW  # remembered, so a repeat counts nothing either


def test_a_cancellation_from_pending_changes_nothing_but_is_remembered() -> None:
    entry = new_entry()
    assert entry.cancel(USER, TOTAL, PENDING, NOW) is False
    assert entry.cancel(USER, TOTAL, PENDING, NOW) is False
    assert (entry.counted, entry.cancelled_from) == (False, PENDING)


@pytest.mark.parametrize(
    "contradiction",
    [
        pytest.param(lambda e: e.confirm(uuid4(), TOTAL, NOW), id="confirmed for another user"),
        pytest.param(
            lambda e: e.confirm(USER, Money(amount=Decimal("12.51"), currency="EUR"), NOW),
            id="confirmed with another amount",
        ),
        pytest.param(
            lambda e: e.cancel(
                USER, Money(amount=Decimal("12.50"), currency="USD"), CONFIRMED, NOW
            ),
            id="cancelled in another currency",
        ),
    ],
)
def test_facts_about_another_user_or_total_conflict(
    contradiction: Callable[[OrderLedgerEntry], bool],
) -> None:
    entry = new_entry()
    with pytest.raises(ConflictingOrderFactsError, match=str(entry.order_id)):
        contradiction(entry)
    assert (entry.confirmed_at, entry.cancelled_at) == (None, None)


def test_an_order_cancelled_while_pending_cannot_be_confirmed() -> None:
    entry = new_entry()
    entry.cancel(USER, TOTAL, PENDING, NOW)
    with pytest.raises(ConflictingOrderFactsError, match="cancelled while pending"):
        entry.confirm(USER, TOTAL, NOW)
    assert entry.confirmed_at is None


def test_a_confirmed_order_cannot_be_cancelled_while_pending() -> None:
    entry = new_entry()
    entry.confirm(USER, TOTAL, NOW)
    with pytest.raises(ConflictingOrderFactsError, match="was confirmed"):
        entry.cancel(USER, TOTAL, PENDING, NOW)
    assert entry.counted


def test_two_cancellations_from_different_statuses_conflict() -> None:
    entry = new_entry()
    entry.cancel(USER, TOTAL, CONFIRMED, NOW)
    with pytest.raises(ConflictingOrderFactsError, match="from confirmed, not from pending"):
        entry.cancel(USER, TOTAL, PENDING, NOW)


@pytest.mark.parametrize(
    "facts",
    list(dict.fromkeys(permutations([confirmation, confirmation, cancellation, cancellation]))),
    ids=lambda facts: ",".join(fact.__name__ for fact in facts),
)
def test_confirmed_then_cancelled_ends_uncounted_in_any_order_and_with_repeats(
    facts: tuple[Fact, ...],
) -> None:
    entry, user = new_entry(), new_user()
    user.record_confirmed_order(Money(amount=Decimal("5.00"), currency="EUR"))  # another order
    for fact in facts:
        fact(entry, user)
    assert (user.orders_count, user.total_spent) == (1, {"EUR": Decimal("5.00")})
    assert not entry.counted


@pytest.mark.parametrize("repeats", [1, 3])
def test_confirmations_alone_count_once(repeats: int) -> None:
    entry, user = new_entry(), new_user()
    for _ in range(repeats):
        confirmation(entry, user)
    assert (user.orders_count, user.total_spent) == (1, {"EUR": Decimal("12.50")})


def test_the_user_refuses_a_reversal_below_zero_whatever_the_ledger_says() -> None:
    entry, user = new_entry(), new_user()
    entry.confirm(USER, TOTAL, NOW)  # counted in the ledger but not in these statistics
    assert entry.cancel(USER, TOTAL, CONFIRMED, NOW) is True
    with pytest.raises(OrderStatsError):
        user.reverse_confirmed_order(entry.total)
    assert (user.orders_count, user.total_spent) == (0, {})
