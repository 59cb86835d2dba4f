"""With auth on, an Idempotency-Key belongs to the token's subject: another caller using
the same key has its own request processed, and never gets the first caller's answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.auth.customers import OrdersWithCustomers, orders_with_customers
from tests.integration.auth.orders import ADMIN, WRITE, order_for, orders_of
from tests.support.jwt_keys import Issuer, KeyPair, auth_settings

# The order-service's app on a throwaway database.
pytestmark = [pytest.mark.mysql]

KEY = "checkout-1"


@pytest.fixture
async def shop(rsa_keys: KeyPair) -> AsyncIterator[OrdersWithCustomers]:
    async with orders_with_customers(auth_settings(rsa_keys)) as orders:
        yield orders


async def _post(
    orders: httpx.AsyncClient, issuer: Issuer, subject: str, user_id: str, scopes: list[str]
) -> httpx.Response:
    headers = {**issuer.headers(subject, scopes), "idempotency-key": KEY}
    return await orders.post("/orders", json=order_for(user_id), headers=headers)


async def test_another_caller_reusing_a_key_gets_its_own_processing(
    shop: OrdersWithCustomers, issuer: Issuer
) -> None:
    orders = shop.client
    ada, bob = await shop.registered("auth0|ada"), await shop.registered("auth0|bob")
    by_ada = await _post(orders, issuer, "auth0|ada", ada, WRITE)
    by_bob = await _post(orders, issuer, "auth0|bob", bob, WRITE)
    for_ada_by_admin = await _post(orders, issuer, "console", ada, ADMIN)

    answers = [by_ada, by_bob, for_ada_by_admin]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert all("idempotent-replayed" not in answer.headers for answer in answers)
    assert len({answer.json()["id"] for answer in answers}) == 3
    assert by_bob.json()["user_id"] == bob
    assert len(await orders_of(orders, issuer, ada)) == 2
    assert len(await orders_of(orders, issuer, bob)) == 1

    # Each caller's own retry is its own stored answer again.
    ada_again = await _post(orders, issuer, "auth0|ada", ada, WRITE)
    bob_again = await _post(orders, issuer, "auth0|bob", bob, WRITE)
    assert ada_again.headers["idempotent-replayed"] == "true"
    assert ada_again.json()["id"] == by_ada.json()["id"]
    assert bob_again.json()["id"] == by_bob.json()["id"]
    assert len(await orders_of(orders, issuer, ada)) == 2
