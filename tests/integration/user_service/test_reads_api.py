"""GET /users pages, spend as decimal strings, and GET /users/{id}/notifications."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import aiomysql
import httpx
from fastapi import FastAPI

from shared.db import UnitOfWork
from shared.events import Money
from tests.integration.user_service.support import use_context
from user_service.adapters.notifications_repository import NotificationRepository
from user_service.adapters.users_repository import UserRepository
from user_service.domain.notification import Notification

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def register_many(client: httpx.AsyncClient, n: int) -> list[str]:
    ids = []
    for number in range(n):
        response = await client.post("/users", json={"email": f"u{number}@x.io", "name": "U"})
        ids.append(response.json()["id"])
    return ids


async def all_pages(client: httpx.AsyncClient, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/users", params=params)
        assert response.status_code == 200
        body = response.json()
        pages.append([user["id"] for user in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_list_users_in_creation_order(client: httpx.AsyncClient) -> None:
    ids = await register_many(client, 5)
    assert await all_pages(client, 2) == [ids[0:2], ids[2:4], ids[4:5]]
    assert await all_pages(client, 5) == [ids]
    default = (await client.get("/users")).json()
    assert [user["id"] for user in default["items"]] == ids
    assert default["next_cursor"] is None


async def test_users_created_in_the_same_microsecond_page_by_id(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    use_context(app, clock=lambda: NOW)
    ids = await register_many(client, 5)
    assert [user_id for page in await all_pages(client, 2) for user_id in page] == sorted(ids)


async def test_an_empty_list_has_no_next_cursor(client: httpx.AsyncClient) -> None:
    assert (await client.get("/users")).json() == {"items": [], "next_cursor": None}


async def test_bad_paging_parameters_are_422(client: httpx.AsyncClient) -> None:
    forged = base64.urlsafe_b64encode(b"yesterday|nobody").decode()
    cases: list[tuple[dict[str, str | int], str]] = [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"cursor": "!!"}, "query.cursor"),
        ({"cursor": forged}, "query.cursor"),
        ({"cursor": "a" * 201}, "query.cursor"),
    ]
    for params, field in cases:
        response = await client.get("/users", params=params)
        assert response.status_code == 422, params
        assert [error["field"] for error in response.json()["errors"]] == [field], params


async def test_spend_is_shown_as_exact_decimal_strings(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    [user_id] = await register_many(client, 1)
    async with UnitOfWork(pool) as uow:
        users = UserRepository(uow)
        user = await users.get(UUID(user_id), for_update=True)
        assert user is not None
        for amount, currency in [("12.5", "EUR"), ("0.10", "USD"), ("0.20", "USD")]:
            user.record_confirmed_order(Money(amount=Decimal(amount), currency=currency))
        await users.save(user)
        await uow.commit()
    body = (await client.get(f"/users/{user_id}")).json()
    assert (body["orders_count"], body["total_spent"]) == (3, {"EUR": "12.50", "USD": "0.30"})
    assert (await client.get("/users")).json()["items"][0]["total_spent"] == body["total_spent"]


async def test_notifications_are_listed_newest_first(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    [user_id] = await register_many(client, 1)
    assert (await client.get(f"/users/{user_id}/notifications")).json() == {"items": []}
    order_ids = [uuid4(), uuid4()]
    async with UnitOfWork(pool) as uow:
        for minutes, order_id in enumerate(order_ids):
            notification = Notification.order_rejected(
                UUID(user_id), order_id, "out of stock", NOW + timedelta(minutes=minutes)
            )
            await NotificationRepository(uow).add(notification)
        await uow.commit()

    response = await client.get(f"/users/{user_id}/notifications")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["order_id"] for item in items] == [str(o) for o in reversed(order_ids)]
    assert set(items[0]) == {"id", "kind", "message", "order_id", "created_at"}
    assert items[0]["kind"] == "order_rejected"
    assert items[0]["message"] == f"Your order {order_ids[1]} was rejected: out of stock"
    assert datetime.fromisoformat(items[0]["created_at"]) == NOW + timedelta(minutes=1)
    limited = await client.get(f"/users/{user_id}/notifications", params={"limit": 1})
    assert len(limited.json()["items"]) == 1


async def test_notifications_of_an_unknown_or_malformed_user(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"/users/{uuid4()}/notifications")).status_code == 404
    assert (await client.get("/users/nope/notifications")).status_code == 422
