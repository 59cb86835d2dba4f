"""Orders as the auth tests place and read them: the scopes, a body, an admin's listing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.jwt_keys import Issuer

ADMIN = ["eda:admin"]


WRITE = ["orders:write"]


def order_for(user_id: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "currency": "EUR",
        "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "12.50"}],
    }


async def orders_of(orders: httpx.AsyncClient, issuer: Issuer, user_id: str) -> list[Any]:
    response = await orders.get(
        "/orders", params={"user_id": user_id}, headers=issuer.headers("console", ADMIN)
    )
    assert response.status_code == 200
    items: list[Any] = response.json()["items"]
    return items
