"""Health routes, the OpenAPI document, and 503 with Retry-After when MySQL is down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from eda_local.tansu import free_port
from order_service.entrypoints.app import create_app
from shared.service import ServiceSettings
from shared.settings import MySQLSettings
from tests.integration.order_service.support import order_body
from tests.support.answers import assert_retry_later
from tests.support.polling import eventually
from tests.support.service_apps import ORDER_SERVICE, settings_for


async def test_healthz_answers_and_readyz_wants_the_relay(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    not_ready = await client.get("/readyz")  # the fixture's app does not run the relay
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"] == {"database": True, "outbox_relay": False}


async def test_readyz_is_ready_with_the_database_and_a_running_relay(
    service_settings: ServiceSettings,
) -> None:
    app = create_app(service_settings, run_relay=True)
    async with app.router.lifespan_context(app):
        relay = app.state.runtime.relay
        await eventually(lambda: relay.running, timeout=5, what="the relay task to start")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://o") as client:
            response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "outbox_relay": True}


async def test_the_openapi_document_lists_the_order_routes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert {"/orders", "/orders/{order_id}", "/orders/{order_id}/cancel"} <= set(document["paths"])
    assert (await client.get("/docs")).status_code == 200


@pytest.fixture
async def unreachable_client() -> AsyncIterator[httpx.AsyncClient]:
    mysql = MySQLSettings(port=free_port(), pool_min_size=0, connect_timeout_s=1)
    app: FastAPI = create_app(settings_for(ORDER_SERVICE, mysql), run_relay=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://o") as client:
            yield client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/orders", order_body()),
        ("GET", f"/orders/{uuid.uuid4()}", None),
        ("GET", "/orders", None),
        ("POST", f"/orders/{uuid.uuid4()}/cancel", None),
    ],
)
async def test_an_unreachable_database_is_503_with_retry_after(
    unreachable_client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    response = await unreachable_client.request(method, path, json=body)
    assert_retry_later(response)


async def test_readyz_is_503_when_the_database_is_unreachable(
    unreachable_client: httpx.AsyncClient,
) -> None:
    response = await unreachable_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False
    assert (await unreachable_client.get("/healthz")).status_code == 200
