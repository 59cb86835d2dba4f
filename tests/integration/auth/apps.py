"""Both services' real apps over migrated throwaway databases, with the given auth
settings, behind an HTTP client (lifespan run, outbox relay not started)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI

from order_service.adapters.schema import migrate_database as migrate_orders
from order_service.bootstrap import bootstrap
from order_service.config import SOURCE as ORDERS_SOURCE
from order_service.config import ServiceSettings as OrderServiceSettings
from order_service.entrypoints.app import create_app as create_orders_app
from shared.settings import AuthSettings, MySQLSettings, Settings, load_settings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from user_service.bootstrap import ServiceSettings as UserHttpSettings
from user_service.bootstrap import UserServiceSettings
from user_service.bootstrap import migrate_database as migrate_users
from user_service.bootstrap.settings import SOURCE as USERS_SOURCE
from user_service.entrypoints.app import create_app as create_users_app


@asynccontextmanager
async def migrated_database(service: str) -> AsyncIterator[MySQLSettings]:
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as database:
        mysql = server.model_copy(update={"database": database})
        await (migrate_users if service == "users" else migrate_orders)(mysql)
        yield mysql


def users_app(mysql: MySQLSettings, auth: AuthSettings | None) -> FastAPI:
    """``auth=None``: the settings as the environment gives them (auth off by default)."""
    overrides = {} if auth is None else {"auth": auth}
    platform = load_settings(source=USERS_SOURCE, mysql=mysql, **overrides)
    return create_users_app(
        UserServiceSettings(platform=platform, service=UserHttpSettings()), run_relay=False
    )


def orders_app(mysql: MySQLSettings, auth: AuthSettings | None) -> FastAPI:
    """``auth=None``: ``create_app`` without the auth argument, as before auth existed."""
    start = partial(bootstrap, Settings(mysql=mysql, source=ORDERS_SOURCE))
    if auth is None:
        return create_orders_app(OrderServiceSettings(), start, run_relay=False)
    return create_orders_app(OrderServiceSettings(), start, run_relay=False, auth=auth)


@asynccontextmanager
async def serving(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        # Failures must come back as responses: the tests look for any 500.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
            yield client


@asynccontextmanager
async def users_client(auth: AuthSettings | None) -> AsyncIterator[httpx.AsyncClient]:
    async with migrated_database("users") as mysql, serving(users_app(mysql, auth), "users") as c:
        yield c


@asynccontextmanager
async def orders_client(auth: AuthSettings | None) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        migrated_database("orders") as mysql,
        serving(orders_app(mysql, auth), "orders") as c,
    ):
        yield c
