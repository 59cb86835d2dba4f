"""The load run in-process against stand-in services that record what they receive:
bodies the real APIs accept, orders only for registered users, the token sent."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from eda_cli.load.plan import LoadPlan
from eda_cli.load.runner import ServiceUnreachableError, run_load


class StandIn:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.orders: list[dict[str, Any]] = []
        self.authorizations: set[str | None] = set()
        self.connections: set[object] = set()
        self.healthy = True

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_post("/users", self.register)
        app.router.add_post("/orders", self.place)
        return app

    async def healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=200 if self.healthy else 503)

    async def register(self, request: web.Request) -> web.Response:
        self.authorizations.add(request.headers.get("Authorization"))
        body = await request.json()
        user_id = str(uuid.uuid4())
        self.users[user_id] = body
        return web.json_response({"id": user_id, **body}, status=201)

    async def place(self, request: web.Request) -> web.Response:
        self.authorizations.add(request.headers.get("Authorization"))
        self.connections.add(
            request.transport.get_extra_info("peername") if request.transport else None
        )
        body = await request.json()
        self.orders.append(body)
        known = body["user_id"] in self.users
        return web.json_response({"id": str(uuid.uuid4())}, status=202 if known else 422)


@pytest.fixture
async def stand_in() -> AsyncIterator[tuple[StandIn, str]]:
    service = StandIn()
    server = TestServer(service.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield service, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def plan(url: str, token: str | None = None) -> LoadPlan:
    return LoadPlan(
        rate=100,
        duration_s=0.5,
        users_url=url,
        orders_url=url,
        customers=4,
        concurrency=20,
        progress_every_s=0.2,
        timeout_s=5,
        seed=7,
        token=token,
    )


async def test_users_first_then_orders_for_them(stand_in: tuple[StandIn, str]) -> None:
    service, url = stand_in
    out = io.StringIO()
    assert await run_load(plan(url), out) == 0
    assert len(service.users) == 4
    assert len({user["email"] for user in service.users.values()}) == 4
    assert len(service.orders) == 50
    for order in service.orders:
        assert order["user_id"] in service.users
        assert order["currency"] == "EUR"
        assert 1 <= len(order["items"]) <= 3
        for item in order["items"]:
            assert set(item) == {"sku", "quantity", "unit_price"}
            assert isinstance(item["quantity"], int)
            assert isinstance(item["unit_price"], str)
    assert service.authorizations == {None}
    assert "orders: sent 50, ok 50 (202), errors 0" in out.getvalue()
    # Connections are kept alive and reused, never more than the concurrency.
    assert 1 <= len(service.connections) <= 20 < len(service.orders)


async def test_the_token_goes_with_every_request(stand_in: tuple[StandIn, str]) -> None:
    service, url = stand_in
    token = uuid.uuid4().hex
    assert await run_load(plan(url, token), io.StringIO()) == 0
    assert service.authorizations == {f"Bearer {token}"}
    assert token not in repr(plan(url, token))


async def test_a_service_that_is_up_but_not_healthy_is_named(
    stand_in: tuple[StandIn, str],
) -> None:
    service, url = stand_in
    service.healthy = False
    with pytest.raises(ServiceUnreachableError, match=r"user-service at .* answered 503"):
        await run_load(plan(url), io.StringIO())
    assert not service.users
