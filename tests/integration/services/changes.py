"""Per service: two changes of one aggregate over HTTP, and the events they raise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.support.service_apps import ORDER_SERVICE, USER_SERVICE

ORDER_BODY = {
    "user_id": "0190f5a8-0000-7000-8000-0000000000aa",
    "currency": "EUR",
    "items": [{"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"}],
}


async def register_then_deactivate(client: httpx.AsyncClient, unique: str = "") -> str:
    user = (await client.post("/users", json={"email": f"a{unique}@b.io", "name": "A"})).json()
    assert (await client.post(f"/users/{user['id']}/deactivate")).status_code == 200
    return str(user["id"])


async def place_then_cancel(client: httpx.AsyncClient, unique: str = "") -> str:
    order = (await client.post("/orders", json=ORDER_BODY)).json()
    assert (await client.post(f"/orders/{order['id']}/cancel")).status_code == 200
    return str(order["id"])


Changes = Callable[[httpx.AsyncClient, str], Awaitable[str]]
TWO_CHANGES: dict[str, tuple[Changes, list[str]]] = {
    USER_SERVICE: (register_then_deactivate, ["user.registered", "user.deactivated"]),
    ORDER_SERVICE: (place_then_cancel, ["order.placed", "order.cancelled"]),
}
LISTED = {USER_SERVICE: "/users", ORDER_SERVICE: "/orders"}
