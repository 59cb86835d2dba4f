"""The body of POST /orders as the tests send it: one item, in euros."""

from __future__ import annotations

from typing import Any


def one_item_order(user_id: str, *, sku: str, quantity: int, unit_price: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "currency": "EUR",
        "items": [{"sku": sku, "quantity": quantity, "unit_price": unit_price}],
    }
