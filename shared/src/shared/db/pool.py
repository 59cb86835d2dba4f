"""An aiomysql pool from settings, with autocommit off so units of work decide. Every
connection goes through ``shared.links.mysql``: TLS as ``EDA_MYSQL__SSL_MODE`` says, and
a misconfigured link raised as LinkMisconfigured. Taking a connection waits at most
``EDA_MYSQL__ACQUIRE_TIMEOUT_S``, then raises ConnectionAcquireTimeout."""

from __future__ import annotations

import asyncio
from typing import Any

import aiomysql
import pymysql

from shared.db.tracing import TracedCursor
from shared.errors import TransientError
from shared.links.mysql import (
    connect_mysql,
    is_encrypted,
    mysql_connect_options,
    mysql_problem,
    require_encrypted,
)
from shared.settings import MySQLSettings
from shared.telemetry.tracing import tracer


async def create_pool(settings: MySQLSettings, database: str | None = None) -> aiomysql.Pool:
    options = {
        **mysql_connect_options(settings),
        "db": database or settings.database,
        "autocommit": False,
        "charset": "utf8mb4",
        "cursorclass": TracedCursor if tracer() is not None else aiomysql.Cursor,
    }
    sizes = {
        "minsize": settings.pool_min_size,
        "maxsize": settings.pool_max_size,
        "echo": False,
        "pool_recycle": -1,
        "loop": asyncio.get_running_loop(),
    }
    pool = CheckedPool(settings, **sizes, **options)
    try:
        if settings.pool_min_size > 0:
            async with pool.acquire():  # the first connection: a misconfiguration shows now
                pass
    except BaseException as exc:
        pool.close()
        await pool.wait_closed()
        problem = mysql_problem(settings, exc) if isinstance(exc, Exception) else None
        if problem is not None:
            raise problem from None
        raise
    return pool


class ConnectionAcquireTimeout(TransientError, TimeoutError):
    """No pooled connection within ``EDA_MYSQL__ACQUIRE_TIMEOUT_S``: every connection was
    busy (or opening one took that long). The APIs answer 503 with Retry-After; a
    subscriber retries the message like any transient failure."""

    def __init__(self, timeout_s: float, max_size: int) -> None:
        super().__init__(
            f"no database connection within {timeout_s:g} s "
            f"(all {max_size} of the pool's connections busy)"
        )
        self.timeout_s = timeout_s


class CheckedPool(aiomysql.Pool):  # type: ignore[misc]
    """aiomysql's pool, whose ``acquire()`` gives up after ``acquire_timeout_s`` and,
    with ``REQUIRED`` and above, hands out only encrypted connections, including those
    it opens later (a Python attribute, no round trip).

    The timeout cancels aiomysql's own wait (a Condition, or a connect in progress):
    both leave the pool as it was. A connection already taken is returned, never lost,
    as ``asyncio.timeout`` only interrupts a suspended wait."""

    def __init__(self, settings: MySQLSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._settings = settings

    async def _acquire(self) -> aiomysql.Connection:
        try:
            async with asyncio.timeout(self._settings.acquire_timeout_s):
                connection = await super()._acquire()
        except TimeoutError:
            raise ConnectionAcquireTimeout(self._settings.acquire_timeout_s, self.maxsize) from None
        if self._settings.requires_tls and not is_encrypted(connection):
            connection.close()
            self.release(connection)
            require_encrypted(connection, self._settings)
        return connection


async def probe_database(settings: MySQLSettings, table: str | None = None) -> None:
    """Connect once (and read ``table`` if given); raise the driver's error when the
    database cannot be used, so a command can say so in one line at start-up."""
    connection = await connect_mysql(settings, db=settings.database)
    try:
        if table is not None:
            async with connection.cursor() as cursor:
                await cursor.execute(
                    "SELECT 1 FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    (table,),
                )
                if await cursor.fetchone() is None:
                    raise pymysql.err.ProgrammingError(1146, f"Table '{table}' doesn't exist")
    finally:
        connection.close()
