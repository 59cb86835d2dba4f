"""Per service: the POSTs an Idempotency-Key makes safe to retry, and what each writes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tests.integration.services.changes import ORDER_BODY
from tests.support.service_apps import ORDER_SERVICE, USER_SERVICE


@dataclass(frozen=True)
class Creation:
    path: str
    body: bytes
    other_body: bytes
    status: int
    table: str


CREATIONS = {
    USER_SERVICE: Creation(
        "/users",
        json.dumps({"email": "ada@example.com", "name": "Ada"}).encode(),
        json.dumps({"email": "bob@example.com", "name": "Bob"}).encode(),
        201,
        "users",
    ),
    ORDER_SERVICE: Creation(
        "/orders",
        json.dumps(ORDER_BODY).encode(),
        json.dumps({**ORDER_BODY, "currency": "USD"}).encode(),
        202,
        "orders",
    ),
}


async def post(
    client: httpx.AsyncClient, path: str, body: bytes | None, key: str | None = None
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["idempotency-key"] = key
    return await client.post(path, content=body, headers=headers)


async def _deactivate(client: httpx.AsyncClient) -> str:
    created = await post(client, "/users", CREATIONS[USER_SERVICE].body)
    return f"/users/{created.json()['id']}/deactivate"


async def _cancel(client: httpx.AsyncClient) -> str:
    created = await post(client, "/orders", CREATIONS[ORDER_SERVICE].body)
    return f"/orders/{created.json()['id']}/cancel"


# The state-changing POST on an existing aggregate, and the event it raises.
TRANSITIONS: dict[str, tuple[Callable[[httpx.AsyncClient], Awaitable[str]], str]] = {
    USER_SERVICE: (_deactivate, "user.deactivated"),
    ORDER_SERVICE: (_cancel, "order.cancelled"),
}
