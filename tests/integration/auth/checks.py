"""What every refusal looks like: status, RFC 6750 challenge, the services' error body."""

from __future__ import annotations

import re
from typing import Any

import httpx

_CHALLENGE = re.compile(
    r'Bearer error="(?P<error>[a-z_]+)", error_description="(?P<description>[^"\\]*)"'
    r'(?:, scope="(?P<scope>[^"\\]*)")?'
)


def refused(response: httpx.Response, status: int, error: str) -> str:
    """The error_description of a 401 (``invalid_token``) or 403 (``insufficient_scope``),
    after checking it is the same sentence as the body's detail."""
    assert response.status_code == status, response.text
    match = _CHALLENGE.fullmatch(response.headers["www-authenticate"])
    assert match is not None, response.headers["www-authenticate"]
    assert match["error"] == error
    body = response.json()
    assert set(body) == {"detail"}
    assert body["detail"].endswith(match["description"])
    return match["description"]


def unauthorized(response: httpx.Response) -> str:
    return refused(response, 401, "invalid_token")


def forbidden(response: httpx.Response) -> str:
    return refused(response, 403, "insufficient_scope")


async def operations(client: httpx.AsyncClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = (await client.get("/openapi.json")).json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
