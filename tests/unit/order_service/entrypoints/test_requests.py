"""The place-order request: bounded, prices as decimal strings or numbers, no total."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from order_service.entrypoints.requests import CancelOrderRequest, PlaceOrderRequest


def body(*items: dict[str, Any]) -> dict[str, Any]:
    default = {"sku": "A-1", "quantity": 1, "unit_price": "1.00"}
    return {"user_id": str(uuid.uuid4()), "currency": "EUR", "items": list(items) or [default]}


def item(**overrides: Any) -> dict[str, Any]:
    return {"sku": "A-1", "quantity": 1, "unit_price": "1.00", **overrides}


@pytest.mark.parametrize(
    ("price", "expected"),
    [("12.50", "12.50"), ("12.5", "12.5"), (12.5, "12.5"), (0.1, "0.1"), (3, "3"), ("0", "0")],
)
def test_a_price_may_be_a_decimal_string_or_a_number(price: object, expected: str) -> None:
    request = PlaceOrderRequest.model_validate(body(item(unit_price=price)))
    assert request.items[0].unit_price == Decimal(expected)


@pytest.mark.parametrize("price", ["1.234", 0.125, "-1", "NaN", "Infinity", "", "ten", True])
def test_a_price_with_more_than_two_places_or_below_zero_is_refused(price: object) -> None:
    with pytest.raises(ValidationError):
        PlaceOrderRequest.model_validate(body(item(unit_price=price)))


@pytest.mark.parametrize("quantity", [0, 10_001, "2", 1.5, True, None])
def test_a_quantity_is_an_integer_from_1_to_10000(quantity: object) -> None:
    with pytest.raises(ValidationError):
        PlaceOrderRequest.model_validate(body(item(quantity=quantity)))


def test_a_client_total_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="total"):
        PlaceOrderRequest.model_validate({**body(), "total": {"amount": "0.01", "currency": "EUR"}})


@pytest.mark.parametrize("count", [0, 101])
def test_an_order_has_1_to_100_items(count: int) -> None:
    document = body()
    document["items"] = [item() for _ in range(count)]
    with pytest.raises(ValidationError, match="items"):
        PlaceOrderRequest.model_validate(document)


def test_a_total_too_large_for_an_amount_is_refused() -> None:
    huge = item(quantity=10_000, unit_price="999999999999.99")
    with pytest.raises(ValidationError, match="total"):
        PlaceOrderRequest.model_validate(body(huge))


def test_items_become_domain_lines() -> None:
    request = PlaceOrderRequest.model_validate(body(item(sku="B.2", quantity=4, unit_price=2)))
    line = request.items[0].to_line()
    assert (line.sku, line.quantity, str(line.unit_price)) == ("B.2", 4, "2.00")


def test_a_cancellation_without_a_reason_is_by_the_customer() -> None:
    assert CancelOrderRequest().reason == "cancelled by customer"
    with pytest.raises(ValidationError):
        CancelOrderRequest(reason="")
