"""An aiomysql pool from settings, with autocommit off so units of work decide. Every
connection goes through ``shared.links.mysql``: TLS as ``EDA_MYSQL__SSL_MODE`` says, and
a misconfigured link raised as LinkMisconfigured."""

from __future__ import annotations

import aiomysql
import pymysql

from shared.db.tracing import TracedCursor
from shared.links.mysql import mysql_connect_options, mysql_problem, require_encrypted
from shared.settings import MySQLSettings
from shared.telemetry.tracing import tracer


async def create_pool(settings: MySQLSettings, database: str | None = None) -> aiomysql.Pool:
    try:
        pool = await aiomysql.create_pool(
            **mysql_connect_options(settings),
            db=database or settings.database,
            minsize=settings.pool_min_size,
            maxsize=settings.pool_max_size,
            autocommit=False,
            charset="utf8mb4",
            cursorclass=TracedCursor if tracer() is not None else aiomysql.Cursor,
        )
        if settings.requires_tls and settings.pool_min_size > 0:
            async with pool.acquire() as connection:
                await require_encrypted(connection, settings)
    except Exception as exc:
        problem = mysql_problem(settings, exc)
        if problem is not None:
            raise problem from None
        raise
    return pool


async def probe_database(settings: MySQLSettings, table: str | None = None) -> None:
    """Connect once (and read ``table`` if given); raise the driver's error when the
    database cannot be used, so a command can say so in one line at start-up."""
    try:
        connection = await aiomysql.connect(**mysql_connect_options(settings), db=settings.database)
    except Exception as exc:
        problem = mysql_problem(settings, exc)
        if problem is not None:
            raise problem from None
        raise
    try:
        await require_encrypted(connection, settings)
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
