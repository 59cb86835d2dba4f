"""POSTs that are safe to retry: each carries an ``Idempotency-Key``, and is sent again
with the same key after a connection error, a 503 or a 409 (the first attempt still in
flight), so an answer lost after the commit never places an order twice."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

RETRIED_STATUSES = {409, 503}
ATTEMPTS = 8
MAX_WAIT_S = 2.0
"""A retry honours Retry-After up to this; a connection error waits a quarter of it."""


async def post_with_key(
    client: httpx.AsyncClient,
    url: str,
    *,
    json: Any = None,
    key: str | None = None,
    attempts: int = ATTEMPTS,
) -> httpx.Response:
    """The last answer; raises the last ``httpx.TransportError`` when no attempt was
    answered."""
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            response = await client.post(url, json=json, headers=headers)
        except httpx.TransportError:
            if last:
                raise
            await asyncio.sleep(MAX_WAIT_S / 4)  # a connection error says nothing of when
            continue
        if response.status_code not in RETRIED_STATUSES or last:
            return response
        await asyncio.sleep(_retry_after(response))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", "1")), MAX_WAIT_S)
    except ValueError:
        return 1.0
