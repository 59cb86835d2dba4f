"""An aiomysql pool from settings, with autocommit off so units of work decide."""

from __future__ import annotations

import aiomysql
import pymysql

from shared.db.tracing import TracedCursor
from shared.settings import MySQLSettings
from shared.telemetry.tracing import tracer


async def create_pool(settings: MySQLSettings, database: str | None = None) -> aiomysql.Pool:
    return await aiomysql.create_pool(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        db=database or settings.database,
        minsize=settings.pool_min_size,
        maxsize=settings.pool_max_size,
        connect_timeout=settings.connect_timeout_s,
        autocommit=False,
        charset="utf8mb4",
        cursorclass=TracedCursor if tracer() is not None else aiomysql.Cursor,
    )


async def probe_database(settings: MySQLSettings, table: str | None = None) -> None:
    """Connect once (and read ``table`` if given); raise the driver's error when the
    database cannot be used, so a command can say so in one line at start-up."""
    connection = await aiomysql.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        db=settings.database,
        connect_timeout=settings.connect_timeout_s,
    )
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
