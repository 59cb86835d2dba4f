"""A migrated throwaway orders database, the runtime built on it, and an HTTP client
on the real app with its lifespan run (the outbox relay is not started)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from order_service.adapters.schema import migrate_database
from order_service.bootstrap import OrderServiceRuntime, bootstrap
from order_service.config import SOURCE, ServiceSettings
from order_service.entrypoints.app import create_app
from order_service.service_layer.context import UseCaseContext
from shared.settings import MySQLSettings, Settings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database


@pytest.fixture
async def orders_mysql() -> AsyncIterator[MySQLSettings]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        migrated = settings.model_copy(update={"database": database})
        await migrate_database(migrated)
        yield migrated


@pytest.fixture
def settings(orders_mysql: MySQLSettings) -> Settings:
    return Settings(mysql=orders_mysql, source=SOURCE)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[OrderServiceRuntime]:
    built = await bootstrap(settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
def pool(runtime: OrderServiceRuntime) -> aiomysql.Pool:
    return runtime.pool


@pytest.fixture
def context(runtime: OrderServiceRuntime) -> UseCaseContext:
    return runtime.context


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(ServiceSettings(), partial(bootstrap, settings), run_relay=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://order-service") as http:
        yield http
