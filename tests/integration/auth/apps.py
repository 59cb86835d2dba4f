"""Both services' real apps over migrated throwaway databases, with the given auth
settings, behind an HTTP client (lifespan run, outbox relay not started)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from shared.auth_settings import AuthSettings
from shared.settings import MySQLSettings
from tests.support.service_apps import (
    ORDER_SERVICE,
    UNDER_TEST,
    USER_SERVICE,
    settings_for,
    throwaway_service_database,
)


@asynccontextmanager
async def migrated_database(service: str) -> AsyncIterator[MySQLSettings]:
    name = USER_SERVICE if service == "users" else ORDER_SERVICE
    async with throwaway_service_database(name) as mysql:
        yield mysql


def _app(name: str, mysql: MySQLSettings, auth: AuthSettings | None) -> FastAPI:
    """``auth=None``: the settings as the environment gives them (auth off by default)."""
    overrides = {} if auth is None else {"auth": auth}
    return UNDER_TEST[name].create_app(settings_for(name, mysql, **overrides), run_relay=False)


def users_app(mysql: MySQLSettings, auth: AuthSettings | None) -> FastAPI:
    return _app(USER_SERVICE, mysql, auth)


def orders_app(mysql: MySQLSettings, auth: AuthSettings | None) -> FastAPI:
    return _app(ORDER_SERVICE, mysql, auth)


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
