"""Judging a placed order: an active customer confirms it, an inactive one rejects it,
an unknown one is waited for until the window after placing has passed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from order_service.domain import Accept, Customer, Reject, WaitForCustomer
from order_service.domain.acceptance import (
    CUSTOMER_INACTIVE,
    UNKNOWN_CUSTOMER,
    judge_placed_order,
)

PLACED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAIT = timedelta(seconds=30)
ACTIVE = Customer.registered(uuid.uuid4(), "ada@example.com", at=PLACED_AT)
INACTIVE = Customer.deactivated(uuid.uuid4(), at=PLACED_AT)


def judge(customer: Customer | None, *, after: timedelta) -> object:
    return judge_placed_order(customer, placed_at=PLACED_AT, now=PLACED_AT + after, wait=WAIT)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=2)])
def test_an_active_customer_gets_the_order_confirmed_whenever_it_is_judged(
    after: timedelta,
) -> None:
    assert judge(ACTIVE, after=after) == Accept()


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=2)])
def test_an_inactive_customer_gets_the_order_rejected(after: timedelta) -> None:
    assert judge(INACTIVE, after=after) == Reject(CUSTOMER_INACTIVE)


def test_a_customer_learnt_only_by_a_deactivation_counts_as_inactive() -> None:
    registered_later = INACTIVE.merged_with(
        Customer.registered(INACTIVE.user_id, "bob@example.com", at=PLACED_AT)
    )
    assert judge(registered_later, after=timedelta(0)) == Reject(CUSTOMER_INACTIVE)


def test_an_unknown_customer_is_waited_for_within_the_window() -> None:
    assert judge(None, after=timedelta(seconds=10)) == WaitForCustomer(timedelta(seconds=20))


def test_an_event_from_a_clock_ahead_waits_no_longer_than_its_own_window_says() -> None:
    assert judge(None, after=timedelta(seconds=-5)) == WaitForCustomer(timedelta(seconds=35))


@pytest.mark.parametrize("after", [WAIT, WAIT + timedelta(microseconds=1), timedelta(days=1)])
def test_an_unknown_customer_gets_the_order_rejected_once_the_window_has_passed(
    after: timedelta,
) -> None:
    assert judge(None, after=after) == Reject(UNKNOWN_CUSTOMER)


def test_a_zero_window_rejects_an_unknown_customer_at_once() -> None:
    verdict = judge_placed_order(None, placed_at=PLACED_AT, now=PLACED_AT, wait=timedelta(0))
    assert verdict == Reject(UNKNOWN_CUSTOMER)
