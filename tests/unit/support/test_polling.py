"""The tests' wait helper names what it waited for, asked at the deadline when given
as a callable."""

from __future__ import annotations

import pytest

from tests.support.polling import eventually


async def test_a_described_condition_says_what_was_missing_at_the_deadline() -> None:
    missing = ["a span of users.order-confirmed"]
    with pytest.raises(AssertionError, match=r"^no a span of users.order-confirmed not met"):
        await eventually(lambda: False, timeout=0.05, what=lambda: f"no {missing[0]}")


async def test_a_named_condition_keeps_its_name() -> None:
    with pytest.raises(AssertionError, match=r"^the order confirmed not met within 0.05s$"):
        await eventually(lambda: False, timeout=0.05, what="the order confirmed")
