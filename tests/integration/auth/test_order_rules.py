"""Who may do what on the order-service (decision 30): a customer's orders belong to the
identity the user registered with, as the customer projection knows it from
user.registered; `orders:write` places and cancels, `orders:read` reads and lists; the
admin scope does it all, and lists everyone's orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from tests.integration.auth.checks import forbidden
from tests.integration.auth.customers import OrdersWithCustomers, orders_with_customers
from tests.integration.auth.orders import ADMIN, WRITE, order_for, orders_of
from tests.support.jwt_keys import Issuer, KeyPair, auth_settings

# The order-service's app on a throwaway database.
pytestmark = [pytest.mark.mysql]

READ = ["orders:read"]
OWN = ["orders:read", "orders:write"]
OWN_ONLY = "only the user's own identity (the token's issuer and subject) or the admin scope may"


@pytest.fixture
async def shop(rsa_keys: KeyPair) -> AsyncIterator[OrdersWithCustomers]:
    async with orders_with_customers(auth_settings(rsa_keys)) as orders:
        yield orders


async def place(orders: httpx.AsyncClient, issuer: Issuer, subject: str, user_id: str) -> str:
    response = await orders.post(
        "/orders", json=order_for(user_id), headers=issuer.headers(subject, WRITE)
    )
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    return order_id


async def test_a_customer_places_orders_for_themselves_with_the_scope_only(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    orders = shop.client
    ada = await shop.registered("auth0|ada")
    bob = await shop.registered("auth0|bob")
    await place(orders, issuer, "auth0|ada", ada)

    refused = await orders.post(
        "/orders", json=order_for(bob), headers=issuer.headers("auth0|ada", OWN)
    )
    assert forbidden(refused) == f"{OWN_ONLY} place an order for this user"
    unscoped = await orders.post(
        "/orders", json=order_for(ada), headers=issuer.headers("auth0|ada", READ)
    )
    assert forbidden(unscoped) == (
        "placing an order needs the scope 'orders:write' (or the admin scope)"
    )
    assert unscoped.headers["www-authenticate"].endswith(', scope="orders:write"')
    assert await orders_of(orders, issuer, bob) == []
    assert len(await orders_of(orders, issuer, ada)) == 1

    by_admin = await orders.post(
        "/orders", json=order_for(bob), headers=issuer.headers("console", ADMIN)
    )
    assert by_admin.status_code == 202
    assert len(await orders_of(orders, issuer, bob)) == 1


async def test_the_token_subject_being_the_user_id_is_not_enough(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    """The rule decision 30 replaced: a token whose sub was the user's UUID acted as them."""
    ada = await shop.registered("auth0|ada")
    response = await shop.client.post(
        "/orders", json=order_for(ada), headers=issuer.headers(ada, OWN)
    )
    assert forbidden(response) == f"{OWN_ONLY} place an order for this user"


async def test_a_customer_not_known_here_yet_or_without_identity_is_for_admins_only(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    orders = shop.client
    not_yet = str(uuid4())  # its user.registered has not arrived
    nobodys = await shop.registered(None)  # registered by an admin, or before identities
    for user_id in (not_yet, nobodys):
        refused = await orders.post(
            "/orders", json=order_for(user_id), headers=issuer.headers("auth0|ada", OWN)
        )
        assert forbidden(refused) == f"{OWN_ONLY} place an order for this user"
        listed = await orders.get(
            "/orders", params={"user_id": user_id}, headers=issuer.headers("auth0|ada", OWN)
        )
        assert forbidden(listed) == f"{OWN_ONLY} list this user's orders"
        by_admin = await orders.post(
            "/orders", json=order_for(user_id), headers=issuer.headers("console", ADMIN)
        )
        assert by_admin.status_code == 202


async def test_an_invalid_body_is_422_before_any_check_against_the_database(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    response = await shop.client.post(
        "/orders",
        json=order_for(str(uuid4())) | {"currency": "euro"},
        headers=issuer.headers("auth0|ada", WRITE),
    )
    assert response.status_code == 422


async def test_a_customer_reads_their_own_orders_with_the_scope_only(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    orders = shop.client
    ada = await shop.registered("auth0|ada")
    bob = await shop.registered("auth0|bob")
    adas = await place(orders, issuer, "auth0|ada", ada)
    bobs = await place(orders, issuer, "auth0|bob", bob)

    own = await orders.get(f"/orders/{adas}", headers=issuer.headers("auth0|ada", READ))
    assert (own.status_code, own.json()["user_id"]) == (200, ada)
    other = await orders.get(f"/orders/{bobs}", headers=issuer.headers("auth0|ada", READ))
    assert forbidden(other) == f"{OWN_ONLY} read this order"
    assert bob not in other.text
    unscoped = await orders.get(f"/orders/{adas}", headers=issuer.headers("auth0|ada", WRITE))
    assert (
        forbidden(unscoped) == "reading an order needs the scope 'orders:read' (or the admin scope)"
    )
    by_admin = await orders.get(f"/orders/{bobs}", headers=issuer.headers("x", ADMIN))
    assert by_admin.status_code == 200


async def test_an_unknown_order_is_404_before_any_ownership_check(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    unknown = uuid4()
    got = await shop.client.get(f"/orders/{unknown}", headers=issuer.headers("auth0|ada", READ))
    assert got.status_code == 404
    cancel = await shop.client.post(
        f"/orders/{unknown}/cancel", headers=issuer.headers("auth0|ada", WRITE)
    )
    assert cancel.status_code == 404


async def test_a_customer_cancels_their_own_orders_with_the_scope_only(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    orders = shop.client
    ada = await shop.registered("auth0|ada")
    bob = await shop.registered("auth0|bob")
    adas = await place(orders, issuer, "auth0|ada", ada)
    bobs = await place(orders, issuer, "auth0|bob", bob)
    another_of_bob = await place(orders, issuer, "auth0|bob", bob)

    refused = await orders.post(f"/orders/{bobs}/cancel", headers=issuer.headers("auth0|ada", OWN))
    assert forbidden(refused) == f"{OWN_ONLY} cancel this order"
    unscoped = await orders.post(
        f"/orders/{adas}/cancel", headers=issuer.headers("auth0|ada", READ)
    )
    assert forbidden(unscoped).startswith("cancelling an order needs the scope 'orders:write'")
    assert {order["status"] for order in await orders_of(orders, issuer, bob)} == {"pending"}

    own = await orders.post(
        f"/orders/{adas}/cancel",
        json={"reason": "changed my mind"},
        headers=issuer.headers("auth0|ada", WRITE),
    )
    assert (own.status_code, own.json()["status"]) == (200, "cancelled")
    by_admin = await orders.post(
        f"/orders/{another_of_bob}/cancel", headers=issuer.headers("x", ADMIN)
    )
    assert (by_admin.status_code, by_admin.json()["status"]) == (200, "cancelled")


async def test_listing_orders_is_per_customer_unless_admin(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    orders = shop.client
    ada = await shop.registered("auth0|ada")
    bob = await shop.registered("auth0|bob")
    adas = await place(orders, issuer, "auth0|ada", ada)
    await place(orders, issuer, "auth0|bob", bob)
    as_ada = issuer.headers("auth0|ada", READ)

    own = await orders.get("/orders", params={"user_id": ada}, headers=as_ada)
    assert [order["id"] for order in own.json()["items"]] == [adas]
    other = await orders.get("/orders", params={"user_id": bob}, headers=as_ada)
    assert forbidden(other) == f"{OWN_ONLY} list this user's orders"
    unscoped = await orders.get(
        "/orders", params={"user_id": ada}, headers=issuer.headers("auth0|ada", WRITE)
    )
    assert (
        forbidden(unscoped) == "listing orders needs the scope 'orders:read' (or the admin scope)"
    )
    everyone = await orders.get("/orders", headers=as_ada)
    assert forbidden(everyone) == (
        "listing every customer's orders needs the admin scope; pass user_id to list one's own"
    )

    by_admin = await orders.get("/orders", headers=issuer.headers("console", ADMIN))
    assert len(by_admin.json()["items"]) == 2
