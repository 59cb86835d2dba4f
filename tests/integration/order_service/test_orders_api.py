"""The orders API through the real app: each endpoint's happy path, its 404/409/422,
and exactly the outbox rows each state change wrote."""

from __future__ import annotations

import uuid
from datetime import datetime

import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from shared.events import OrderCancelledV1, OrderPlacedV1
from shared.service import UseCaseContext
from tests.integration.order_service.support import confirm, order_body, reject
from tests.support.mysql import count_rows
from tests.support.outbox import outbox_envelopes


@pytest.fixture
def pool(app: FastAPI) -> aiomysql.Pool:
    return app.state.runtime.pool


@pytest.fixture
def context(app: FastAPI) -> UseCaseContext:
    use_cases: UseCaseContext = app.state.runtime.context
    return use_cases


async def place(client: httpx.AsyncClient, **overrides: object) -> dict[str, object]:
    response = await client.post("/orders", json=order_body(**overrides))
    assert response.status_code == 202, response.text
    order: dict[str, object] = response.json()
    return order


async def test_placing_an_order_accepts_it_as_pending(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    body = order_body()
    response = await client.post("/orders", json=body)
    assert response.status_code == 202
    order = response.json()
    assert response.headers["location"] == f"/orders/{order['id']}"
    assert order["user_id"] == body["user_id"]
    assert (order["status"], order["currency"], order["reason"]) == ("pending", "EUR", None)
    assert order["items"] == [
        {"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"},
        {"sku": "PEN_2", "quantity": 3, "unit_price": "0.10"},
    ]
    assert order["total"] == {"amount": "25.30", "currency": "EUR"}
    assert datetime.fromisoformat(order["created_at"]).utcoffset() is not None

    [envelope] = await outbox_envelopes(pool)
    assert (envelope.type, envelope.subject) == ("order.placed", order["id"])
    event = envelope.event()
    assert isinstance(event, OrderPlacedV1)
    assert str(event.total.amount) == "25.30"
    assert event.placed_at == datetime.fromisoformat(order["created_at"])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total": {"amount": "1.00", "currency": "EUR"}}, "total"),
        ({"currency": "eur"}, "currency"),
        ({"user_id": "42"}, "user_id"),
        ({"items": []}, "items"),
        ({"items": [{"sku": "A", "quantity": 1, "unit_price": "1"}] * 101}, "items"),
        ({"items": [{"sku": "A", "quantity": 0, "unit_price": "1"}]}, "items.0.quantity"),
        ({"items": [{"sku": "A", "quantity": 10_001, "unit_price": "1"}]}, "items.0.quantity"),
        ({"items": [{"sku": "A", "quantity": 1, "unit_price": "1.005"}]}, "items.0.unit_price"),
        ({"items": [{"sku": "A", "quantity": 1, "unit_price": -1}]}, "items.0.unit_price"),
        ({"items": [{"sku": "a b", "quantity": 1, "unit_price": "1"}]}, "items.0.sku"),
        (
            {"items": [{"sku": "A", "quantity": 10_000, "unit_price": "999999999999.99"}]},
            "body",
        ),
    ],
)
async def test_an_invalid_order_is_422_with_a_message_per_field(
    client: httpx.AsyncClient, pool: aiomysql.Pool, overrides: dict[str, object], field: str
) -> None:
    response = await client.post("/orders", json=order_body(**overrides))
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert field in fields
    assert await count_rows(pool, "orders") == 0
    assert await count_rows(pool, "outbox") == 0


async def test_a_body_that_is_not_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_a_body_above_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/orders", content=b" " * (64 * 1024 + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_an_order_is_read_by_its_id(client: httpx.AsyncClient) -> None:
    placed = await place(client)
    response = await client.get(f"/orders/{placed['id']}")
    assert response.status_code == 200
    assert response.json() == placed


async def test_an_unknown_order_is_404_and_a_malformed_id_422(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/orders/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert "not found" in missing.json()["detail"]
    malformed = await client.get("/orders/not-a-uuid")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "path.order_id"


async def test_a_rejected_order_shows_its_reason(
    client: httpx.AsyncClient, context: UseCaseContext
) -> None:
    placed = await place(client)
    await reject(context, uuid.UUID(str(placed["id"])), "customer unknown")
    order = (await client.get(f"/orders/{placed['id']}")).json()
    assert (order["status"], order["reason"]) == ("rejected", "customer unknown")


async def test_cancelling_a_pending_order_writes_order_cancelled(
    client: httpx.AsyncClient, pool: aiomysql.Pool
) -> None:
    placed = await place(client)
    response = await client.post(f"/orders/{placed['id']}/cancel")
    assert response.status_code == 200
    order = response.json()
    assert (order["status"], order["reason"]) == ("cancelled", "cancelled by customer")
    assert order["updated_at"] >= order["created_at"]

    _, cancelled_row = await outbox_envelopes(pool)
    assert (cancelled_row.type, cancelled_row.subject) == ("order.cancelled", placed["id"])
    event = cancelled_row.event()
    assert isinstance(event, OrderCancelledV1)
    assert (event.previous_status, event.reason) == ("pending", "cancelled by customer")
    assert str(event.total.amount) == "25.30"


async def test_cancelling_a_confirmed_order_with_a_reason(
    client: httpx.AsyncClient, pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    placed = await place(client)
    await confirm(context, uuid.UUID(str(placed["id"])))
    response = await client.post(
        f"/orders/{placed['id']}/cancel", json={"reason": "found it cheaper"}
    )
    assert response.status_code == 200
    assert response.json()["reason"] == "found it cheaper"
    event = (await outbox_envelopes(pool))[-1].event()
    assert isinstance(event, OrderCancelledV1)
    assert (event.previous_status, event.reason) == ("confirmed", "found it cheaper")


async def test_cancelling_twice_or_a_rejected_order_is_409_and_writes_nothing(
    client: httpx.AsyncClient, pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    cancelled, rejected = await place(client), await place(client)
    assert (await client.post(f"/orders/{cancelled['id']}/cancel")).status_code == 200
    await reject(context, uuid.UUID(str(rejected["id"])), "no credit")
    rows_before = await count_rows(pool, "outbox")

    again = await client.post(f"/orders/{cancelled['id']}/cancel")
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]
    assert (await client.post(f"/orders/{rejected['id']}/cancel")).status_code == 409
    assert await count_rows(pool, "outbox") == rows_before


async def test_cancel_errors(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"/orders/{uuid.uuid4()}/cancel")).status_code == 404
    assert (await client.post("/orders/nope/cancel")).status_code == 422
    placed = await place(client)
    for body in ({"reason": ""}, {"reason": "x" * 501}, {"why": "extra field"}):
        response = await client.post(f"/orders/{placed['id']}/cancel", json=body)
        assert response.status_code == 422, body
    assert (await client.get(f"/orders/{placed['id']}")).json()["status"] == "pending"
