"""End to end over real HTTP, MariaDB and RabbitMQ (decision 30): a user registered on
the user-service by an identity reaches the order-service's customer projection through
user.registered, and from then on that identity, and only it, orders for the user."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiomysql
import httpx
import pytest

from shared.auth_settings import AuthSettings
from shared.messaging import Subscription, create_consumer
from shared.settings import BrokerKind, MySQLSettings, RabbitMQSettings, Settings, load_settings
from subscribers.catalog import subscriber_for
from subscribers.runner import inbox_handlers
from tests.integration.auth.apps import migrated_database, serving
from tests.integration.auth.checks import forbidden
from tests.support.consumers import running
from tests.support.jwt_keys import Issuer, KeyPair, auth_settings
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology
from tests.support.service_apps import ORDER_SERVICE, UNDER_TEST, USER_SERVICE, settings_for

# Both services on throwaway databases, their events over RabbitMQ.
pytestmark = [pytest.mark.mysql, pytest.mark.rabbitmq]

USERS_WRITE = ["users:write"]
ORDERS = ["orders:read", "orders:write"]
ORDERS_READ = ["orders:read"]


@pytest.fixture
async def rabbitmq() -> AsyncIterator[RabbitMQSettings]:
    private = load_settings().rabbitmq.model_copy(
        update={"exchange": f"identity-{uuid.uuid4().hex}"}
    )
    yield private
    await delete_topology(private, [subscriber_for("user.registered").name])


def _on(rabbitmq: RabbitMQSettings) -> dict[str, Any]:
    return {"default_broker": BrokerKind.RABBITMQ, "rabbitmq": rabbitmq}


@dataclass(frozen=True)
class Shop:
    """Both services with auth on, the user-service's relay publishing, the order-service's
    user.registered subscriber consuming into its projection."""

    users: httpx.AsyncClient
    orders: httpx.AsyncClient


@pytest.fixture
def on_both(rsa_keys: KeyPair) -> AuthSettings:
    return auth_settings(rsa_keys)


@asynccontextmanager
async def both_services(auth: AuthSettings, rabbitmq: RabbitMQSettings) -> AsyncIterator[Shop]:
    async with migrated_database("users") as users_db, migrated_database("orders") as orders_db:
        users_app = UNDER_TEST[USER_SERVICE].create_app(
            settings_for(USER_SERVICE, users_db, auth=auth, **_on(rabbitmq)), run_relay=True
        )
        orders_app = UNDER_TEST[ORDER_SERVICE].create_app(
            settings_for(ORDER_SERVICE, orders_db, auth=auth), run_relay=False
        )
        async with (
            serving(users_app, "users") as users,
            serving(orders_app, "orders") as orders,
            _projecting(_subscriber_settings(orders_db, rabbitmq), orders_app.state.runtime.pool),
        ):
            yield Shop(users, orders)


def _subscriber_settings(orders_db: MySQLSettings, rabbitmq: RabbitMQSettings) -> Settings:
    subscriber = subscriber_for("user.registered")
    return load_settings(mysql=orders_db, source=subscriber.source, **_on(rabbitmq))


def _projecting(
    settings: Settings, pool: aiomysql.Pool
) -> AbstractAsyncContextManager[asyncio.Task[None]]:
    """The order-service's user.registered subscriber, wired as the runner wires it."""
    subscriber = subscriber_for("user.registered")
    handle, handle_many = inbox_handlers(subscriber, settings, pool, after_commit=_nothing)
    consumer = create_consumer(
        settings,
        Subscription(subscriber.name, subscriber.event_type),
        handle,
        batch_handler=handle_many,
    )
    return running(consumer)


def _nothing() -> None:
    return None


@pytest.fixture
async def shop(on_both: AuthSettings, rabbitmq: RabbitMQSettings) -> AsyncIterator[Shop]:
    async with both_services(on_both, rabbitmq) as built:
        yield built


def order_for(user_id: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "currency": "EUR",
        "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "12.50"}],
    }


async def register(shop: Shop, headers: dict[str, str], email: str) -> str:
    response = await shop.users.post(
        "/users", json={"email": email, "name": "Someone"}, headers=headers
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def known_to_orders(shop: Shop, user_id: str, headers: dict[str, str]) -> None:
    """Poll until the order-service lets the registering identity list the user's orders:
    its projection has the user.registered."""

    async def allowed() -> bool:
        listed = await shop.orders.get("/orders", params={"user_id": user_id}, headers=headers)
        return listed.status_code == 200

    await eventually(allowed, timeout=30, what="user.registered in the customer projection")


async def test_the_registering_identity_orders_for_its_user_once_the_event_arrives(
    shop: Shop, issuer: Issuer
) -> None:
    ada = await register(shop, issuer.headers("auth0|abc", USERS_WRITE), "ada@example.com")
    await known_to_orders(shop, ada, issuer.headers("auth0|abc", ORDERS_READ))

    placed = await shop.orders.post(
        "/orders", json=order_for(ada), headers=issuer.headers("auth0|abc", ORDERS)
    )
    assert placed.status_code == 202, placed.text
    order = placed.json()["id"]
    read = await shop.orders.get(f"/orders/{order}", headers=issuer.headers("auth0|abc", ORDERS))
    assert (read.status_code, read.json()["user_id"]) == (200, ada)

    by_bob = await shop.orders.post(
        "/orders", json=order_for(ada), headers=issuer.headers("auth0|bob", ORDERS)
    )
    assert forbidden(by_bob).endswith("may place an order for this user")
    bob_reads = await shop.orders.get(
        f"/orders/{order}", headers=issuer.headers("auth0|bob", ORDERS)
    )
    assert forbidden(bob_reads).endswith("may read this order")
    unscoped = await shop.orders.post(
        "/orders", json=order_for(ada), headers=issuer.headers("auth0|abc", ORDERS_READ)
    )
    assert forbidden(unscoped).startswith("placing an order needs the scope 'orders:write'")


@pytest.fixture
def on_entra(rsa_keys: KeyPair) -> AuthSettings:
    return auth_settings(rsa_keys, subject_claim="oid")


@pytest.fixture
async def entra_shop(on_entra: AuthSettings, rabbitmq: RabbitMQSettings) -> AsyncIterator[Shop]:
    async with both_services(on_entra, rabbitmq) as built:
        yield built


async def test_an_entra_oid_is_the_identity_whatever_the_pairwise_sub(
    entra_shop: Shop, issuer: Issuer
) -> None:
    oid = str(uuid.uuid4())

    def as_oid(scopes: list[str], *, sub: str, object_id: str = oid) -> dict[str, str]:
        return issuer.headers(sub, scopes, oid=object_id)

    ada = await register(entra_shop, as_oid(USERS_WRITE, sub="pairwise-for-sign-up"), "a@x.io")
    own = await entra_shop.users.get(
        f"/users/{ada}", headers=as_oid(["users:read"], sub="pairwise-for-the-shop")
    )
    assert own.status_code == 200
    # Another application's pairwise sub, the same oid: the same caller.
    await known_to_orders(entra_shop, ada, as_oid(ORDERS_READ, sub="pairwise-for-the-shop"))
    placed = await entra_shop.orders.post(
        "/orders", json=order_for(ada), headers=as_oid(ORDERS, sub="pairwise-for-the-shop")
    )
    assert placed.status_code == 202, placed.text

    stranger = as_oid(ORDERS, sub="pairwise-for-sign-up", object_id=str(uuid.uuid4()))
    refused = await entra_shop.orders.post("/orders", json=order_for(ada), headers=stranger)
    assert forbidden(refused).endswith("may place an order for this user")
