"""The order events' models: exact money, totals that add up, unknown fields ignored,
immutable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import (
    Money,
    OrderPlacedV1,
)


def placed(**overrides: Any) -> OrderPlacedV1:
    fields: dict[str, Any] = {
        "order_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "items": [
            {"sku": "book-1", "quantity": 2, "unit_price": {"amount": "12.50", "currency": "EUR"}},
            {"sku": "pen", "quantity": 1, "unit_price": {"amount": "0.99", "currency": "EUR"}},
        ],
        "total": {"amount": "25.99", "currency": "EUR"},
        "placed_at": datetime.now(UTC),
    }
    fields.update(overrides)
    return OrderPlacedV1.model_validate(fields)


def test_an_order_total_is_exact_decimal_and_its_subject_is_the_order() -> None:
    order = placed()
    assert order.total.amount == Decimal("25.99")
    assert order.aggregate_id == str(order.order_id)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"order_id": "not-a-uuid"}, "order_id"),
        ({"total": {"amount": "25.991", "currency": "EUR"}}, "decimal places"),
        ({"total": {"amount": "25.99", "currency": "euro"}}, "currency"),
        ({"total": {"amount": "26.00", "currency": "EUR"}}, "does not equal"),
        (
            {
                "items": [
                    {"sku": "x", "quantity": 0, "unit_price": {"amount": "1", "currency": "EUR"}}
                ],
                "total": {"amount": "0", "currency": "EUR"},
            },
            "quantity",
        ),
        ({"items": []}, "items"),
    ],
)
def test_invalid_orders_are_rejected(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        placed(**overrides)


def test_items_in_another_currency_are_rejected() -> None:
    with pytest.raises(ValidationError, match="currency"):
        placed(
            items=[
                {"sku": "a", "quantity": 1, "unit_price": {"amount": "1.00", "currency": "USD"}}
            ],
            total={"amount": "1.00", "currency": "EUR"},
        )


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    order = placed(gift_wrap=True)
    assert "gift_wrap" not in order.model_dump()


def test_events_are_immutable() -> None:
    order = placed()
    with pytest.raises(ValidationError):
        order.total = Money(amount=Decimal(0), currency="EUR")  # type: ignore[misc]
