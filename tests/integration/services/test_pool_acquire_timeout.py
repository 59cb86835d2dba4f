"""A request that finds every pooled connection busy gets 503 with Retry-After once
EDA_MYSQL__ACQUIRE_TIMEOUT_S has passed, instead of waiting in memory without bound."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.integration.services.changes import LISTED
from tests.support.service_apps import build_app, throwaway_service_database

# The services' apps on throwaway databases.
pytestmark = [pytest.mark.mysql]

ACQUIRE_TIMEOUT_S = 0.5
# The answer must come soon after the acquire timeout: well before this.
DEADLINE_S = ACQUIRE_TIMEOUT_S + 10


async def test_a_request_waiting_for_a_held_pool_gets_503_with_retry_after(
    service_name: str,
) -> None:
    async with throwaway_service_database(service_name) as migrated:
        mysql = migrated.model_copy(
            update={"pool_min_size": 1, "pool_max_size": 1, "acquire_timeout_s": ACQUIRE_TIMEOUT_S}
        )
        app, _ = build_app(service_name, mysql)
        async with app.router.lifespan_context(app):
            pool = app.state.runtime.pool
            assert pool.maxsize == 1
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
                held = await pool.acquire()  # the pool's only connection
                try:
                    started = time.monotonic()
                    response = await asyncio.wait_for(
                        client.get(LISTED[service_name]), timeout=DEADLINE_S
                    )
                    waited = time.monotonic() - started
                finally:
                    pool.release(held)
                assert response.status_code == 503, response.text
                assert int(response.headers["retry-after"]) > 0
                assert response.json() == {"detail": "the database is busy; retry later"}
                assert waited >= ACQUIRE_TIMEOUT_S * 0.9
                # The connection given back serves the next request.
                again = await asyncio.wait_for(client.get(LISTED[service_name]), DEADLINE_S)
                assert again.status_code == 200, again.text
