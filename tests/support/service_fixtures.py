"""The fixtures every service's integration tests use, for the service a ``service_name``
fixture names: a migrated throwaway database, its settings, the runtime built on it (its
pool and use-case context), and the real app with its lifespan run, outbox relay not
started (outbox rows stay in the table for the tests to read).

A conftest imports them: ``from tests.support.service_fixtures import *``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiomysql
import httpx
import pytest
from fastapi import FastAPI

from shared.service import ServiceRuntime, ServiceSettings, UseCaseContext, start_runtime
from shared.settings import MySQLSettings, Settings
from tests.support.service_apps import UNDER_TEST, settings_for, throwaway_service_database

__all__ = ["app", "client", "context", "mysql", "pool", "runtime", "service_settings", "settings"]


@pytest.fixture
async def mysql(service_name: str) -> AsyncIterator[MySQLSettings]:
    """Test server settings with a fresh database, migrated for the service, selected."""
    async with throwaway_service_database(service_name) as migrated:
        yield migrated


@pytest.fixture
def service_settings(service_name: str, mysql: MySQLSettings) -> ServiceSettings:
    return settings_for(service_name, mysql)


@pytest.fixture
def settings(service_settings: ServiceSettings) -> Settings:
    """The shared ``EDA_*`` settings with the service's defaults, as its handlers get them."""
    return service_settings.platform


@pytest.fixture
async def runtime(service_settings: ServiceSettings) -> AsyncIterator[ServiceRuntime]:
    built = await start_runtime(service_settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
def pool(runtime: ServiceRuntime) -> aiomysql.Pool:
    return runtime.pool


@pytest.fixture
def context(runtime: ServiceRuntime) -> UseCaseContext:
    """Use cases over the pool; the relay they wake is not running."""
    return runtime.context


@pytest.fixture
async def app(service_name: str, service_settings: ServiceSettings) -> AsyncIterator[FastAPI]:
    application = UNDER_TEST[service_name].create_app(service_settings, run_relay=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(service_name: str, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Unhandled exceptions become the 500 a real server would send, so tests see them.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service_name}") as http:
        yield http
