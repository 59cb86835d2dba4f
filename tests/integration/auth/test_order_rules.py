"""Who may do what on the order-service: customers place, read, list and cancel their own
orders; the admin scope may do it for anyone."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from tests.integration.auth.checks import forbidden
from tests.integration.auth.keys import Issuer

ADMIN = ["admin"]
ADA = str(uuid4())
BOB = str(uuid4())


def order_for(user_id: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "currency": "EUR",
        "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "12.50"}],
    }


async def place(orders: httpx.AsyncClient, issuer: Issuer, user_id: str) -> str:
    response = await orders.post(
        "/orders", json=order_for(user_id), headers=issuer.headers(user_id)
    )
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    return order_id


async def orders_of(orders: httpx.AsyncClient, issuer: Issuer, user_id: str) -> list[Any]:
    response = await orders.get(
        "/orders", params={"user_id": user_id}, headers=issuer.headers("console", ADMIN)
    )
    assert response.status_code == 200
    items: list[Any] = response.json()["items"]
    return items


async def test_a_customer_places_orders_for_themselves_only(
    orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    await place(orders, issuer, ADA)
    refused = await orders.post("/orders", json=order_for(BOB), headers=issuer.headers(ADA))
    assert forbidden(refused) == (
        "only the user concerned, as the token's subject, "
        "or the admin scope may place an order for this user"
    )
    assert await orders_of(orders, issuer, BOB) == []

    by_admin = await orders.post("/orders", json=order_for(BOB), headers=issuer.headers("x", ADMIN))
    assert by_admin.status_code == 202
    assert len(await orders_of(orders, issuer, BOB)) == 1


async def test_an_invalid_body_is_422_before_the_subject_is_compared(
    orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    response = await orders.post(
        "/orders", json=order_for(BOB) | {"currency": "euro"}, headers=issuer.headers(ADA)
    )
    assert response.status_code == 422


async def test_a_customer_reads_their_own_orders_only(
    orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    adas = await place(orders, issuer, ADA)
    bobs = await place(orders, issuer, BOB)

    own = await orders.get(f"/orders/{adas}", headers=issuer.headers(ADA))
    assert (own.status_code, own.json()["user_id"]) == (200, ADA)
    other = await orders.get(f"/orders/{bobs}", headers=issuer.headers(ADA))
    assert forbidden(other).endswith("may read this order")
    assert BOB not in other.text
    by_admin = await orders.get(f"/orders/{bobs}", headers=issuer.headers("x", ADMIN))
    assert by_admin.status_code == 200


async def test_an_unknown_order_is_404_before_any_ownership_check(
    orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    unknown = uuid4()
    assert (await orders.get(f"/orders/{unknown}", headers=issuer.headers(ADA))).status_code == 404
    cancel = await orders.post(f"/orders/{unknown}/cancel", headers=issuer.headers(ADA))
    assert cancel.status_code == 404


async def test_a_customer_cancels_their_own_orders_only(
    orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    adas = await place(orders, issuer, ADA)
    bobs = await place(orders, issuer, BOB)
    another_of_bob = await place(orders, issuer, BOB)

    refused = await orders.post(f"/orders/{bobs}/cancel", headers=issuer.headers(ADA))
    assert forbidden(refused).endswith("may cancel this order")
    assert {order["status"] for order in await orders_of(orders, issuer, BOB)} == {"pending"}

    own = await orders.post(
        f"/orders/{adas}/cancel", json={"reason": "changed my mind"}, headers=issuer.headers(ADA)
    )
    assert (own.status_code, own.json()["status"]) == (200, "cancelled")
    by_admin = await orders.post(
        f"/orders/{another_of_bob}/cancel", headers=issuer.headers("x", ADMIN)
    )
    assert (by_admin.status_code, by_admin.json()["status"]) == (200, "cancelled")


async def test_listing_orders_is_per_customer_unless_admin(
    orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    adas = await place(orders, issuer, ADA)
    await place(orders, issuer, BOB)

    own = await orders.get("/orders", params={"user_id": ADA}, headers=issuer.headers(ADA))
    assert [order["id"] for order in own.json()["items"]] == [adas]
    other = await orders.get("/orders", params={"user_id": BOB}, headers=issuer.headers(ADA))
    assert forbidden(other).endswith("may list this user's orders")
    everyone = await orders.get("/orders", headers=issuer.headers(ADA))
    assert forbidden(everyone) == (
        "listing every customer's orders needs the admin scope; pass user_id to list one's own"
    )

    by_admin = await orders.get("/orders", headers=issuer.headers("console", ADMIN))
    assert len(by_admin.json()["items"]) == 2
