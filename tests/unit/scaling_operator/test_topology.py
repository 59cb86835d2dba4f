"""Which event type a queue is bound to, told from its name as the chart renders it."""

from __future__ import annotations

import pytest

from scaling_operator.topology import UnknownEventTypeError, event_type_of_queue


@pytest.mark.parametrize(
    ("queue", "prefix", "event_type"),
    [
        ("orders.order-placed", "", "order.placed"),
        ("orders.user-registered", "", "user.registered"),
        ("users.order-confirmed", "", "order.confirmed"),
        ("staging.orders.user-deactivated", "staging.", "user.deactivated"),
        ("e2e1a2b.users.order-rejected", "e2e1a2b.", "order.rejected"),
    ],
)
def test_the_event_type_is_the_named_subscribers(queue: str, prefix: str, event_type: str) -> None:
    assert event_type_of_queue(queue, prefix) == event_type


@pytest.mark.parametrize(
    ("queue", "prefix"),
    [
        ("orders.order-shipped", ""),  # no such event type
        ("orders", ""),
        ("staging.orders.order-placed", ""),  # the prefix is not stripped: "orders.order-placed"
    ],
)
def test_a_name_without_a_known_event_type_is_refused(queue: str, prefix: str) -> None:
    with pytest.raises(UnknownEventTypeError, match=r"known: orders\.order-placed"):
        event_type_of_queue(queue, prefix)
