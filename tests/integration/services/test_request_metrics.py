"""The real order-service app on a real database counts every response in
``http_server_request_duration_seconds`` under its route template: those the route
sends, and those auth and the database pool refuse."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from order_service.entrypoints.routes import ORDERS_READ, ORDERS_WRITE
from tests.integration.idempotency_keys.idempotent_posts import CREATIONS
from tests.support.jwt_keys import Issuer, auth_settings, hs256_secret
from tests.support.request_metrics import requests_counted
from tests.support.service_apps import (
    ORDER_SERVICE,
    UNDER_TEST,
    settings_for,
    throwaway_service_database,
)

# The order-service's app on a throwaway database.
pytestmark = [pytest.mark.mysql]

ORDER_ROUTE = "/orders/{order_id}"
ACQUIRE_TIMEOUT_S = 0.5
DEADLINE_S = ACQUIRE_TIMEOUT_S + 10


def counted(method: str, route: str, status: int) -> float:
    return requests_counted(ORDER_SERVICE, method, route, status)


async def test_routed_refused_and_unmatched_requests_are_counted_with_their_codes() -> None:
    pair = hs256_secret()
    reader = Issuer(pair).headers(str(uuid.uuid4()), [ORDERS_READ])
    admin = Issuer(pair).headers(str(uuid.uuid4()), [ORDERS_WRITE, "eda:admin"])
    creation = CREATIONS[ORDER_SERVICE]
    path = f"/orders/{uuid.uuid4()}"
    checks = [
        ("GET", ORDER_ROUTE, 404),
        ("GET", ORDER_ROUTE, 401),
        ("GET", ORDER_ROUTE, 503),
        ("GET", "unmatched", 404),
        ("POST", "/orders", creation.status),
        ("POST", "/orders", 422),  # the idempotency key's middleware refuses a reuse
    ]
    before = {check: counted(*check) for check in checks}

    async with throwaway_service_database(ORDER_SERVICE) as migrated:
        mysql = migrated.model_copy(
            update={"pool_min_size": 1, "pool_max_size": 1, "acquire_timeout_s": ACQUIRE_TIMEOUT_S}
        )
        settings = settings_for(ORDER_SERVICE, mysql, auth=auth_settings(pair))
        app = UNDER_TEST[ORDER_SERVICE].create_app(settings, run_relay=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
                assert (await client.get(path, headers=reader)).status_code == 404
                assert (await client.get(path)).status_code == 401
                assert (await client.get(f"/no/such/{uuid.uuid4()}")).status_code == 404
                key = {**admin, "content-type": "application/json", "idempotency-key": "k-1"}
                first = await client.post("/orders", content=creation.body, headers=key)
                assert first.status_code == creation.status, first.text
                reused = await client.post("/orders", content=creation.other_body, headers=key)
                assert reused.status_code == 422, reused.text
                pool = app.state.runtime.pool
                held = await pool.acquire()  # the pool's only connection
                try:
                    busy = await asyncio.wait_for(client.get(path, headers=reader), DEADLINE_S)
                finally:
                    pool.release(held)
                assert busy.status_code == 503, busy.text

    for check in checks:
        assert counted(*check) == before[check] + 1, check
    assert counted("GET", path, 404) == 0
