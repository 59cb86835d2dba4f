"""With the database unreachable the API answers 503 with Retry-After, never a trace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from eda_local.tansu import free_port
from tests.support.answers import assert_retry_later
from tests.support.mysql import mysql_settings_for_tests
from tests.support.service_apps import USER_SERVICE, settings_for
from user_service.entrypoints.app import create_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    nowhere = mysql_settings_for_tests().model_copy(
        update={"port": free_port(), "pool_min_size": 0, "connect_timeout_s": 1.0}
    )
    app = create_app(settings_for(USER_SERVICE, nowhere), run_relay=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://user-service") as http:
            yield http


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/users", {"email": "ada@example.com", "name": "Ada"}),
        ("GET", "/users", None),
        ("GET", f"/users/{uuid4()}", None),
        ("POST", f"/users/{uuid4()}/deactivate", None),
        ("GET", f"/users/{uuid4()}/notifications", None),
    ],
)
async def test_every_route_answers_503_with_retry_after(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    response = await client.request(method, path, json=body)
    assert_retry_later(response)
    assert response.json() == {"detail": "a dependency is unavailable; retry later"}


async def test_the_process_is_alive_but_not_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] is False


async def test_validation_still_comes_first(client: httpx.AsyncClient) -> None:
    assert (await client.post("/users", json={"email": "nope"})).status_code == 422
