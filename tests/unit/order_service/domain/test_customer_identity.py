"""The customer projection keeps the identity key user.registered carries, whichever
fact about the user arrives first."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from order_service.domain import Customer
from shared.identity import identity_key

USER = uuid.UUID("0b6f3c2e-6a55-4a8e-9a57-2f4f5d7f8e11")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = identity_key("https://login.example.test/", "auth0|abc")


def test_the_key_is_kept_whichever_fact_comes_first() -> None:
    facts = [
        Customer.registered(USER, "ada@example.com", at=T0, identity_key=KEY),
        Customer.deactivated(USER, at=T0 + timedelta(seconds=1)),
    ]
    for first, second in itertools.permutations(facts):
        merged = first.merged_with(second)
        assert (merged.identity_key, merged.active) == (KEY, False)


def test_a_repeated_registration_changes_nothing() -> None:
    known = Customer.registered(USER, "ada@example.com", at=T0, identity_key=KEY)
    again = Customer.registered(USER, "ada@example.com", at=T0 + timedelta(1), identity_key=KEY)
    assert known.merged_with(again) is known


def test_a_registration_without_a_key_leaves_the_customer_for_admins() -> None:
    assert Customer.registered(USER, "ada@example.com", at=T0).identity_key is None
