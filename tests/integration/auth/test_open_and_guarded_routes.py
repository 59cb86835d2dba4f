"""With auth on, every API operation is guarded and says so in the OpenAPI document;
health, readiness, metrics and the API description stay open."""

from __future__ import annotations

import re
from uuid import uuid4

import httpx
import pytest

from tests.integration.auth.checks import operations

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]


async def test_every_api_operation_without_a_token_is_401(
    users: httpx.AsyncClient, orders: httpx.AsyncClient
) -> None:
    guarded = []
    for client in (users, orders):
        for method, path, operation in await operations(client):
            if "health" in operation.get("tags", []):
                continue
            concrete = re.sub(r"\{[^}]+\}", str(uuid4()), path)
            response = await client.request(method, concrete, json={})
            assert response.status_code == 401, (method, path, response.text)
            guarded.append(f"{method.upper()} {path}")
    assert sorted(guarded) == [
        "GET /orders",
        "GET /orders/{order_id}",
        "GET /users",
        "GET /users/{user_id}",
        "GET /users/{user_id}/notifications",
        "POST /orders",
        "POST /orders/{order_id}/cancel",
        "POST /users",
        "POST /users/{user_id}/deactivate",
    ]


async def test_probes_metrics_and_the_api_description_need_no_token(
    users: httpx.AsyncClient, orders: httpx.AsyncClient
) -> None:
    for client in (users, orders):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        # The relay is not started in these tests: "not ready", but answered, not refused.
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is True
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "# TYPE" in metrics.text
        assert (await client.get("/openapi.json")).status_code == 200
        docs = await client.get("/docs")
        assert docs.status_code == 200
        assert "swagger-ui" in docs.text


async def test_the_openapi_document_declares_the_bearer_scheme_on_api_operations_only(
    users: httpx.AsyncClient, orders: httpx.AsyncClient
) -> None:
    for client in (users, orders):
        document = (await client.get("/openapi.json")).json()
        assert document["components"]["securitySchemes"]["bearerAuth"] == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An access token (JWT) from the configured issuer for this API's audience,"
                " with `iat` and `exp`; scopes in `scope` (space-separated) or `scp`."
            ),
        }
        for method, path, operation in await operations(client):
            if "health" in operation.get("tags", []):
                assert "security" not in operation, (method, path)
            else:
                # The scopes each operation needs: test_route_scopes.py.
                assert [list(need) for need in operation["security"]] == [["bearerAuth"]]
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
