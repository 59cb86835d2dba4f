"""Auth off (the default): every route works without a token, as before auth existed,
and a token sent anyway is not even looked at."""

from __future__ import annotations

import os
from uuid import uuid4

import pytest

from tests.integration.auth.apps import orders_client, users_client
from tests.support.orders import one_item_order

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

GARBAGE = {"Authorization": "Bearer not-a-token"}


@pytest.fixture(autouse=True)
def no_auth_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("EDA_AUTH__"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("headers", [{}, GARBAGE], ids=["no token", "garbage token"])
async def test_with_auth_off_every_user_route_works_without_a_token(
    headers: dict[str, str],
) -> None:
    async with users_client(auth=None) as users:
        created = await users.post(
            "/users", json={"email": "ada@example.com", "name": "Ada"}, headers=headers
        )
        assert created.status_code == 201
        ada = created.json()["id"]
        assert (await users.get("/users", headers=headers)).status_code == 200
        assert (await users.get(f"/users/{ada}", headers=headers)).status_code == 200
        notes = await users.get(f"/users/{ada}/notifications", headers=headers)
        assert notes.status_code == 200
        deactivated = await users.post(f"/users/{ada}/deactivate", headers=headers)
        assert deactivated.status_code == 200


@pytest.mark.parametrize("headers", [{}, GARBAGE], ids=["no token", "garbage token"])
async def test_with_auth_off_every_order_route_works_without_a_token(
    headers: dict[str, str],
) -> None:
    body = one_item_order(str(uuid4()), sku="BOOK-1", quantity=1, unit_price="1.00")
    async with orders_client(auth=None) as orders:
        placed = await orders.post("/orders", json=body, headers=headers)
        assert placed.status_code == 202
        order_id = placed.json()["id"]
        assert (await orders.get("/orders", headers=headers)).status_code == 200
        assert (await orders.get(f"/orders/{order_id}", headers=headers)).status_code == 200
        cancelled = await orders.post(f"/orders/{order_id}/cancel", headers=headers)
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


async def test_with_auth_off_the_openapi_document_asks_for_no_token() -> None:
    async with users_client(auth=None) as users, orders_client(auth=None) as orders:
        for client in (users, orders):
            document = (await client.get("/openapi.json")).json()
            assert "securitySchemes" not in document.get("components", {})
            operations = [
                (method, path, operation)
                for path, item in document["paths"].items()
                for method, operation in item.items()
            ]
            assert operations
            for method, path, operation in operations:
                assert "security" not in operation, (method, path)
                assert not {"401", "403"} & set(operation["responses"]), (method, path)
            # Asked again (the document is cached), still the same.
            assert (await client.get("/openapi.json")).json() == document
