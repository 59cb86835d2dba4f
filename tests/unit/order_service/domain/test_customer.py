"""The customer projection: facts about a user merge to the same customer in any order
and any number of times, and a deactivation is never undone."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from order_service.domain import Customer, InvalidCustomerError

USER = uuid.UUID("0b6f3c2e-6a55-4a8e-9a57-2f4f5d7f8e11")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def registered(at: datetime = T0) -> Customer:
    return Customer.registered(USER, "ada@example.com", at=at)


def deactivated(at: datetime = T0) -> Customer:
    return Customer.deactivated(USER, at=at)


def learn(facts: list[Customer]) -> Customer:
    known, *rest = facts
    for fact in rest:
        known = known.merged_with(fact)
    return known


def test_a_registration_makes_an_active_customer_with_an_email() -> None:
    customer = registered()
    assert (customer.email, customer.active) == ("ada@example.com", True)


def test_a_deactivation_alone_makes_an_inactive_customer_without_an_email() -> None:
    customer = deactivated()
    assert (customer.email, customer.active) == (None, False)


def test_a_registration_after_the_deactivation_adds_the_email_and_stays_inactive() -> None:
    customer = deactivated(T0).merged_with(registered(T0 + timedelta(seconds=1)))
    assert (customer.email, customer.active) == ("ada@example.com", False)
    assert customer.updated_at == T0 + timedelta(seconds=1)


def test_a_deactivation_after_the_registration_keeps_the_email() -> None:
    customer = registered().merged_with(deactivated(T0 + timedelta(seconds=1)))
    assert (customer.email, customer.active) == ("ada@example.com", False)


def test_a_fact_already_known_changes_nothing_not_even_the_time() -> None:
    customer = registered()
    assert customer.merged_with(registered(T0 + timedelta(hours=1))) is customer
    inactive = customer.merged_with(deactivated())
    assert inactive.merged_with(deactivated(T0 + timedelta(hours=1))) is inactive


@given(
    st.lists(st.sampled_from(["registered", "deactivated"]), min_size=1, max_size=6),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=6, max_size=6),
)
def test_any_order_and_any_repetition_of_the_facts_gives_the_same_customer(
    kinds: list[str], seconds: list[int]
) -> None:
    facts = [
        registered(T0 + timedelta(seconds=s))
        if kind == "registered"
        else deactivated(T0 + timedelta(seconds=s))
        for kind, s in zip(kinds, seconds, strict=False)
    ]
    outcomes = {
        (customer.email, customer.active)
        for customer in (learn(list(order)) for order in itertools.permutations(facts))
    }
    assert outcomes == {
        ("ada@example.com" if "registered" in kinds else None, "deactivated" not in kinds)
    }


def test_a_fact_about_another_user_is_refused() -> None:
    other = Customer.deactivated(uuid.uuid4(), at=T0)
    with pytest.raises(InvalidCustomerError):
        registered().merged_with(other)


def test_times_must_be_timezone_aware() -> None:
    with pytest.raises(InvalidCustomerError):
        Customer.registered(USER, "ada@example.com", at=datetime(2026, 3, 1, 12, 0))
