"""POST /users as the tests call it."""

from __future__ import annotations

import httpx


async def register_user(client: httpx.AsyncClient, users_url: str, email: str, name: str) -> str:
    """The id of a user the user-service at ``users_url`` registered (201)."""
    response = await client.post(f"{users_url}/users", json={"email": email, "name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
