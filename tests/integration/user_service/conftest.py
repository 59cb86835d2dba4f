"""A migrated throwaway database, its pool, and the HTTP app over it with its lifespan run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from shared.db.pool import create_pool
from shared.db.unit_of_work import UnitOfWork
from shared.settings import MySQLSettings
from tests.integration.user_service.support import settings_for
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from user_service.bootstrap import migrate_database
from user_service.bootstrap.settings import SOURCE
from user_service.entrypoints.app import create_app
from user_service.service_layer.context import ServiceContext


@pytest.fixture
async def mysql() -> AsyncIterator[MySQLSettings]:
    """Test server settings with a fresh, migrated database selected."""
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        selected = settings.model_copy(update={"database": database})
        await migrate_database(selected)
        yield selected


@pytest.fixture
async def pool(mysql: MySQLSettings) -> AsyncIterator[aiomysql.Pool]:
    created = await create_pool(mysql)
    try:
        yield created
    finally:
        created.close()
        await created.wait_closed()


@pytest.fixture
def context(pool: aiomysql.Pool) -> ServiceContext:
    """Use cases over the pool with no relay to wake (nothing publishes in these tests)."""
    return ServiceContext(
        unit_of_work=lambda: UnitOfWork(pool), source=SOURCE, wake_relay=lambda: None
    )


@pytest.fixture
async def app(mysql: MySQLSettings) -> AsyncIterator[FastAPI]:
    """The real app, relay not started: outbox rows stay in the table for the tests to read."""
    application = create_app(settings_for(mysql), run_relay=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://user-service") as http:
        yield http
