"""GET /orders: keyset pages in (created_at, id) order, a user filter, bounded inputs."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.integration.order_service.support import order_body

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(app: FastAPI) -> Iterator[None]:
    """Pairs of orders share an instant, so pages must break ties by id."""
    ticks = itertools.count()
    runtime = app.state.runtime
    original = runtime.context
    runtime.context = dataclasses.replace(
        original, clock=lambda: START + timedelta(seconds=next(ticks) // 2)
    )
    yield
    runtime.context = original


async def all_pages(
    client: httpx.AsyncClient, **params: str | int
) -> list[list[dict[str, object]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/orders", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.usefixtures("clock")
async def test_pages_cover_every_order_once_in_created_at_then_id_order(
    client: httpx.AsyncClient,
) -> None:
    alice = str(uuid.uuid4())
    placed = []
    for number in range(7):
        body = order_body(user_id=alice if number % 2 == 0 else str(uuid.uuid4()))
        placed.append((await client.post("/orders", json=body)).json())
    expected = sorted(placed, key=lambda order: (order["created_at"], order["id"]))

    pages = await all_pages(client, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [order for page in pages for order in page] == expected

    alices = await all_pages(client, limit=2, user_id=alice)
    assert [order["user_id"] for page in alices for order in page] == [alice] * 4
    assert [order for page in alices for order in page] == [
        order for order in expected if order["user_id"] == alice
    ]


async def test_an_exact_last_page_has_no_next_cursor(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await client.post("/orders", json=order_body())
    page = (await client.get("/orders", params={"limit": 2})).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


async def test_the_default_page_is_20_and_empty_is_fine(client: httpx.AsyncClient) -> None:
    assert (await client.get("/orders")).json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"user_id": "bob"}, "query.user_id"),
        ({"cursor": "%%%"}, "query.cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"2026|x").decode()}, "query.cursor"),
        ({"cursor": "a" * 201}, "query.cursor"),
    ],
)
async def test_bad_query_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str | int], field: str
) -> None:
    response = await client.get("/orders", params=params)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
