"""The user aggregate: what registering, deactivating and order statistics allow and raise."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from shared.events import Money, UserDeactivatedV1, UserRegisteredV1
from user_service.domain.errors import OrderStatsError, UserAlreadyDeactivatedError
from user_service.domain.user import ConfirmedOrdersTally, User, UserStatus

NOW = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
USER_ID = UUID("0190f5a8-0000-7000-8000-000000000001")


def registered(**overrides: str) -> User:
    user, _ = User.register(overrides.get("email", "ada@example.com"), "Ada", now=NOW)
    return user


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def test_registering_normalises_the_email_and_raises_user_registered() -> None:
    user, event = User.register("  Ada@Example.COM ", "  Ada Lovelace ", now=NOW)
    assert (user.email, user.name, user.status) == ("ada@example.com", "Ada Lovelace", "active")
    assert (user.orders_count, user.total_spent, user.created_at) == (0, {}, NOW)
    assert event == UserRegisteredV1(
        user_id=user.id, email="ada@example.com", name="Ada Lovelace", registered_at=NOW
    )
    assert event.aggregate_id == str(user.id)


def test_registering_with_an_id_keeps_it() -> None:
    user, event = User.register("ada@example.com", "Ada", now=NOW, user_id=USER_ID)
    assert user.id == event.user_id == USER_ID


@pytest.mark.parametrize(
    ("email", "name"),
    [("not-an-email", "Ada"), ("a b@example.com", "Ada"), ("ada@example.com", "   ")],
)
def test_registering_refuses_invalid_values(email: str, name: str) -> None:
    with pytest.raises(ValueError, match=r"email|name"):
        User.register(email, name, now=NOW)


def test_registering_refuses_a_naive_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        User.register("ada@example.com", "Ada", now=datetime(2026, 3, 1))


def test_deactivating_an_active_user_raises_user_deactivated() -> None:
    user, event = registered().deactivate(NOW)
    assert user.status is UserStatus.DEACTIVATED
    assert not user.is_active
    assert event == UserDeactivatedV1(user_id=user.id, deactivated_at=NOW)


def test_deactivating_twice_is_a_conflict() -> None:
    user, _ = registered().deactivate(NOW)
    with pytest.raises(UserAlreadyDeactivatedError, match="already deactivated"):
        user.deactivate(NOW)
    assert user.status is UserStatus.DEACTIVATED


def test_confirmed_orders_add_up_exactly_per_currency() -> None:
    user = registered()
    for amount in ("0.10", "0.20", "12.50"):
        user.record_confirmed_order(money(amount))
    user.record_confirmed_order(money("3.00", "USD"))
    assert user.orders_count == 4
    assert user.total_spent == {"EUR": Decimal("12.80"), "USD": Decimal("3.00")}


def test_deactivated_users_still_count_orders_confirmed_late() -> None:
    user = registered()
    user.deactivate(NOW)
    user.record_confirmed_order(money("5.00"))
    assert (user.orders_count, user.spent_in("EUR")) == (1, Decimal("5.00"))


def test_reversing_a_confirmed_order_takes_it_back_out() -> None:
    user = registered()
    user.record_confirmed_order(money("12.50"))
    user.record_confirmed_order(money("2.50"))
    user.reverse_confirmed_order(money("12.50"))
    assert (user.orders_count, user.spent_in("EUR")) == (1, Decimal("2.50"))


def test_reversing_the_last_spend_in_a_currency_drops_the_currency() -> None:
    user = registered()
    user.record_confirmed_order(money("12.50"))
    user.record_confirmed_order(money("3.00", "USD"))
    user.reverse_confirmed_order(money("3.00", "USD"))
    assert (user.orders_count, user.total_spent) == (1, {"EUR": Decimal("12.50")})
    assert user.spent_in("USD") == Decimal("0.00")


def test_a_free_order_counts_but_adds_no_currency() -> None:
    user = registered()
    user.record_confirmed_order(money("0.00"))
    assert (user.orders_count, user.total_spent) == (1, {})


def test_the_order_count_never_goes_negative() -> None:
    user = registered()
    with pytest.raises(OrderStatsError, match="no counted order"):
        user.reverse_confirmed_order(money("1.00"))
    assert (user.orders_count, user.total_spent) == (0, {})


def test_spend_never_goes_negative_and_a_refused_reversal_changes_nothing() -> None:
    user = registered()
    user.record_confirmed_order(money("1.00"))
    with pytest.raises(OrderStatsError, match="less than"):
        user.reverse_confirmed_order(money("1.01"))
    with pytest.raises(OrderStatsError):
        user.reverse_confirmed_order(money("1.00", "USD"))
    assert (user.orders_count, user.total_spent) == (1, {"EUR": Decimal("1.00")})


def test_a_tally_adds_what_recording_each_confirmed_order_adds() -> None:
    ada, bob = registered(), registered(email="bob@example.com")
    orders = [
        (ada, money("12.50")),
        (bob, money("1.00", "USD")),
        (ada, money("0.05")),
        (ada, money("0.00", "USD")),
    ]
    tally = ConfirmedOrdersTally()
    for user, total in orders:
        tally.add(user.id, total)
        user.record_confirmed_order(total)
    assert tally.orders == {ada.id: 3, bob.id: 1}
    assert tally.spent == {
        (user.id, currency): change
        for user in (ada, bob)
        for currency, change in user.spend_changes.items()
        if change
    }
    assert tally.spent == {(ada.id, "EUR"): Decimal("12.55"), (bob.id, "USD"): Decimal("1.00")}


def test_two_users_are_never_equal_by_value() -> None:
    first, second = registered(), registered()
    second.id = first.id
    assert first != second
