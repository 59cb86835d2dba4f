"""The scope each API operation needs (decision 30), as the OpenAPI document states it
(the operation's bearerAuth requirement and its 403) and as the services enforce it."""

from __future__ import annotations

import re
from uuid import uuid4

import httpx
import pytest

from tests.integration.auth.checks import forbidden, operations
from tests.support.jwt_keys import Issuer

# Both services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

ADMIN_ONLY: list[str] = []
SCOPES = {
    "POST /users": ["users:write"],
    "POST /users/{user_id}/deactivate": ["users:write"],
    "GET /users/{user_id}": ["users:read"],
    "GET /users/{user_id}/notifications": ["users:read"],
    "GET /users": ADMIN_ONLY,
    "POST /orders": ["orders:write"],
    "POST /orders/{order_id}/cancel": ["orders:write"],
    "GET /orders/{order_id}": ["orders:read"],
    "GET /orders": ["orders:read"],
}

# Bodies are validated before the checks run: these are valid.
BODIES = {
    "POST /users": {"email": "a@example.com", "name": "A"},
    "POST /orders": {
        "user_id": str(uuid4()),
        "currency": "EUR",
        "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "1.00"}],
    },
}


async def test_the_openapi_document_names_each_operations_scope(
    users: httpx.AsyncClient, orders: httpx.AsyncClient
) -> None:
    stated = {}
    for client in (users, orders):
        for method, path, operation in await operations(client):
            if "health" in operation.get("tags", []):
                continue
            route = f"{method.upper()} {path}"
            stated[route] = operation["security"][0]["bearerAuth"]
            for scope in stated[route]:
                assert f"`{scope}`" in operation["responses"]["403"]["description"], route
    assert stated == SCOPES


async def test_a_token_without_the_operations_scope_is_refused_naming_it(
    users: httpx.AsyncClient, orders: httpx.AsyncClient, issuer: Issuer
) -> None:
    every_other_scope = sorted({scope for scopes in SCOPES.values() for scope in scopes})
    for client in (users, orders):
        for method, path, _ in await operations(client):
            route = f"{method.upper()} {path}"
            if route not in SCOPES or not SCOPES[route]:
                continue
            (scope,) = SCOPES[route]
            others = [other for other in every_other_scope if other != scope]
            body = BODIES.get(route)
            response = await client.request(
                method,
                re.sub(r"\{[^}]+\}", str(uuid4()), path),
                json=body,
                headers=issuer.headers("auth0|abc", others),
            )
            assert "needs the scope" in forbidden(response), route
            assert response.headers["www-authenticate"].endswith(f', scope="{scope}"'), route
