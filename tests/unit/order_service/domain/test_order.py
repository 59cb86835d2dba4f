"""The Order aggregate: placing computes the total, transitions follow the status rules
and each returns exactly the event it raises."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from order_service.domain import (
    IllegalTransitionError,
    InvalidOrderError,
    Order,
    OrderLine,
    OrderStatus,
)
from shared.envelope import wrap
from shared.events import OrderCancelledV1, OrderConfirmedV1, OrderPlacedV1, OrderRejectedV1

PLACED_AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
LATER = PLACED_AT + timedelta(minutes=5)


def lines() -> list[OrderLine]:
    return [
        OrderLine(sku="BOOK-1", quantity=2, unit_price=Decimal("12.5")),
        OrderLine(sku="PEN_2", quantity=3, unit_price=Decimal("0.10")),
    ]


def place(**overrides: object) -> tuple[Order, OrderPlacedV1]:
    arguments: dict[str, object] = {
        "order_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "currency": "EUR",
        "lines": lines(),
        "at": PLACED_AT,
    }
    arguments.update(overrides)
    return Order.place(**arguments)  # type: ignore[arg-type]


def in_status(status: OrderStatus) -> Order:
    order, _ = place()
    if status is OrderStatus.CONFIRMED:
        order, _ = order.confirm(at=LATER)
    elif status is OrderStatus.REJECTED:
        order, _ = order.reject("no such customer", at=LATER)
    elif status is OrderStatus.CANCELLED:
        order, _ = order.cancel("cancelled by customer", at=LATER)
    return order


def test_placing_an_order_makes_it_pending_with_the_total_of_its_lines() -> None:
    order, _ = place()
    assert order.status is OrderStatus.PENDING
    assert order.total == Decimal("25.30")
    assert order.reason is None
    assert order.created_at == order.updated_at == PLACED_AT


def test_placing_raises_order_placed_with_lines_in_the_orders_currency() -> None:
    order, event = place()
    assert isinstance(event, OrderPlacedV1)
    assert (event.order_id, event.user_id, event.placed_at) == (order.id, order.user_id, PLACED_AT)
    assert event.total.amount == Decimal("25.30")
    assert event.total.currency == "EUR"
    assert [(line.sku, line.quantity, line.unit_price.amount) for line in event.items] == [
        ("BOOK-1", 2, Decimal("12.50")),
        ("PEN_2", 3, Decimal("0.10")),
    ]
    assert {line.unit_price.currency for line in event.items} == {"EUR"}


def test_the_placed_event_survives_its_envelope_round_trip() -> None:
    _, event = place()
    envelope = wrap(event, source="urn:eda:order-service")
    assert envelope.event() == event
    assert envelope.data["total"] == {"amount": "25.30", "currency": "EUR"}


def test_amounts_are_kept_with_two_places_and_never_as_minus_zero() -> None:
    line = OrderLine(sku="FREE", quantity=1, unit_price=Decimal("-0"))
    assert str(line.unit_price) == "0.00"
    assert str(OrderLine(sku="X", quantity=1, unit_price=Decimal("1E+2")).unit_price) == "100.00"


@pytest.mark.parametrize(
    ("sku", "quantity", "price"),
    [
        ("", 1, "1"),
        ("has space", 1, "1"),
        ("x" * 65, 1, "1"),
        ("A", 0, "1"),
        ("A", 10_001, "1"),
        ("A", 1, "-0.01"),
        ("A", 1, "0.001"),
        ("A", 1, "NaN"),
        ("A", 1, "1000000000000.00"),
    ],
)
def test_a_line_outside_the_rules_is_refused(sku: str, quantity: int, price: str) -> None:
    with pytest.raises(InvalidOrderError):
        OrderLine(sku=sku, quantity=quantity, unit_price=Decimal(price))


@pytest.mark.parametrize(
    "overrides",
    [
        {"lines": []},
        {"lines": [OrderLine(sku="A", quantity=1, unit_price=Decimal(1))] * 101},
        {"currency": "eur"},
        {"currency": "EURO"},
        {"at": datetime(2026, 3, 1, 12, 0)},  # naive
        {"lines": [OrderLine(sku="A", quantity=10_000, unit_price=Decimal("999999999999"))]},
    ],
)
def test_an_order_outside_the_rules_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidOrderError):
        place(**overrides)


def test_confirming_a_pending_order_raises_order_confirmed() -> None:
    pending = in_status(OrderStatus.PENDING)
    confirmed, event = pending.confirm(at=LATER)
    assert confirmed.status is OrderStatus.CONFIRMED
    assert confirmed.updated_at == LATER
    assert confirmed.created_at == PLACED_AT
    assert event == OrderConfirmedV1(
        order_id=pending.id, user_id=pending.user_id, total=pending.total_money, confirmed_at=LATER
    )


def test_rejecting_a_pending_order_keeps_the_reason() -> None:
    pending = in_status(OrderStatus.PENDING)
    rejected, event = pending.reject("  customer is deactivated ", at=LATER)
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason == "customer is deactivated"
    assert event == OrderRejectedV1(
        order_id=pending.id,
        user_id=pending.user_id,
        reason="customer is deactivated",
        rejected_at=LATER,
    )


@pytest.mark.parametrize("previous", [OrderStatus.PENDING, OrderStatus.CONFIRMED])
def test_cancelling_records_the_previous_status(previous: OrderStatus) -> None:
    order = in_status(previous)
    cancelled, event = order.cancel("cancelled by customer", at=LATER + timedelta(seconds=1))
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.reason == "cancelled by customer"
    assert isinstance(event, OrderCancelledV1)
    assert event.previous_status == previous.value
    assert event.total == order.total_money
    assert event.reason == "cancelled by customer"


def test_a_transition_leaves_the_original_order_unchanged() -> None:
    pending = in_status(OrderStatus.PENDING)
    pending.cancel("cancelled by customer", at=LATER)
    assert pending.status is OrderStatus.PENDING
    assert pending.reason is None


CHANGES: dict[str, Callable[[Order], object]] = {
    "confirm": lambda order: order.confirm(at=LATER),
    "reject": lambda order: order.reject("a reason", at=LATER),
    "cancel": lambda order: order.cancel("a reason", at=LATER),
}

ILLEGAL = [
    (OrderStatus.CONFIRMED, "confirm"),
    (OrderStatus.CONFIRMED, "reject"),
    (OrderStatus.REJECTED, "confirm"),
    (OrderStatus.REJECTED, "reject"),
    (OrderStatus.REJECTED, "cancel"),
    (OrderStatus.CANCELLED, "confirm"),
    (OrderStatus.CANCELLED, "reject"),
    (OrderStatus.CANCELLED, "cancel"),
]


@pytest.mark.parametrize(("status", "change"), ILLEGAL)
def test_an_illegal_transition_raises_a_domain_error(status: OrderStatus, change: str) -> None:
    order = in_status(status)
    with pytest.raises(IllegalTransitionError, match=status.value):
        CHANGES[change](order)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_must_have_1_to_500_characters(reason: str) -> None:
    pending = in_status(OrderStatus.PENDING)
    with pytest.raises(InvalidOrderError):
        pending.reject(reason, at=LATER)
    with pytest.raises(InvalidOrderError):
        pending.cancel(reason, at=LATER)
