"""The real user-service and order-service apps, each on its own migrated throwaway
database, lifespan run, outbox relay not started (no broker needed), auth off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiomysql
import httpx
from fastapi import FastAPI

from order_service.config import SERVICE as ORDER_DEFINITION
from order_service.entrypoints.app import create_app as create_orders_app
from shared.db import UnitOfWork
from shared.service import (
    HttpSettings,
    ServiceDefinition,
    ServiceSettings,
    load_service_settings,
    migrate_database,
)
from shared.settings import MySQLSettings, load_settings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from user_service.config import SERVICE as USER_DEFINITION
from user_service.entrypoints.app import create_app as create_users_app

USER_SERVICE = "user-service"
ORDER_SERVICE = "order-service"
SERVICES = (USER_SERVICE, ORDER_SERVICE)


@dataclass(frozen=True)
class ServiceUnderTest:
    definition: ServiceDefinition
    create_app: Callable[..., FastAPI]


UNDER_TEST = {
    USER_SERVICE: ServiceUnderTest(USER_DEFINITION, create_users_app),
    ORDER_SERVICE: ServiceUnderTest(ORDER_DEFINITION, create_orders_app),
}


def settings_for(name: str, mysql: MySQLSettings, **platform: object) -> ServiceSettings:
    """``name``'s settings on ``mysql``, auth off, HTTP settings from the environment."""
    definition = UNDER_TEST[name].definition
    return load_service_settings(
        definition, load_settings(mysql=mysql, source=definition.source, **platform), HttpSettings()
    )


@dataclass(frozen=True)
class RunningService:
    name: str
    app: FastAPI
    mysql: MySQLSettings
    max_body_bytes: int

    @property
    def pool(self) -> aiomysql.Pool:
        pool: aiomysql.Pool = self.app.state.runtime.pool
        return pool

    def client(self) -> httpx.AsyncClient:
        # Unhandled exceptions become the 500 a real server would send, so tests see them.
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url=f"http://{self.name}")


def build_app(name: str, mysql: MySQLSettings) -> tuple[FastAPI, int]:
    """The app of ``name`` (USER_SERVICE or ORDER_SERVICE) on ``mysql``, not started, and
    its request body limit. Nothing connects until its lifespan runs."""
    settings = settings_for(name, mysql)
    return UNDER_TEST[name].create_app(settings, run_relay=False), settings.http.max_body_bytes


async def migrate(name: str, mysql: MySQLSettings) -> None:
    await migrate_database(UNDER_TEST[name].definition, mysql)


@asynccontextmanager
async def throwaway_service_database(name: str) -> AsyncIterator[MySQLSettings]:
    """A fresh database migrated for ``name``, dropped afterwards."""
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as database:
        mysql = server.model_copy(update={"database": database})
        await migrate(name, mysql)
        yield mysql


@asynccontextmanager
async def running_service(name: str) -> AsyncIterator[RunningService]:
    """``name``'s app on its own throwaway database, lifespan run on this event loop."""
    async with throwaway_service_database(name) as mysql:
        app, limit = build_app(name, mysql)
        async with app.router.lifespan_context(app):
            yield RunningService(name, app, mysql, limit)


async def tables(pool: aiomysql.Pool) -> set[str]:
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall("SHOW TABLES")
    return {str(row[0]) for row in rows}


@asynccontextmanager
async def counting_acquisitions(pool: aiomysql.Pool) -> AsyncIterator[Callable[[], int]]:
    """Count the connections taken from ``pool`` inside the block: zero means the
    requests made there never reached the database."""
    taken = 0
    original = pool.acquire

    def acquire(*args: Any, **kwargs: Any) -> Any:
        nonlocal taken
        taken += 1
        return original(*args, **kwargs)

    pool.acquire = acquire
    try:
        yield lambda: taken
    finally:
        del pool.acquire
