"""MySQL for tests: the server's settings, throwaway databases with unique names,
connections and pools on a database, dropping databases and counting a table's rows."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomysql

from shared.db import UnitOfWork, create_pool
from shared.settings import MySQLSettings


def mysql_settings_for_tests() -> MySQLSettings:
    return MySQLSettings(
        host=os.environ.get("EDA_TEST_MYSQL_HOST", "127.0.0.1"),
        port=int(os.environ.get("EDA_TEST_MYSQL_PORT", "3306")),
        user=os.environ.get("EDA_TEST_MYSQL_USER", "root"),
        password=os.environ.get("EDA_TEST_MYSQL_PASSWORD", ""),
        pool_max_size=5,
    )


async def connect_for_tests(
    database: str | None, settings: MySQLSettings | None = None
) -> aiomysql.Connection:
    """An autocommit connection to ``database`` on the tests' server (or on ``settings``'),
    straight to it (not through any proxy a test puts in front)."""
    mysql = settings or mysql_settings_for_tests()
    return await aiomysql.connect(
        host=mysql.host,
        port=mysql.port,
        user=mysql.user,
        password=mysql.password,
        db=database,
        autocommit=True,
    )


@asynccontextmanager
async def server_connection(
    settings: MySQLSettings, database: str | None = None
) -> AsyncIterator[aiomysql.Connection]:
    """One autocommitting connection to the server (on ``database`` if given)."""
    connection = await connect_for_tests(database, settings)
    try:
        yield connection
    finally:
        connection.close()


@asynccontextmanager
async def database_pool(
    settings: MySQLSettings, database: str | None = None
) -> AsyncIterator[aiomysql.Pool]:
    """A pool on ``database`` (by default the settings') as the services open theirs,
    closed when the block ends."""
    pool = await create_pool(settings, database=database)
    try:
        yield pool
    finally:
        pool.close()
        await pool.wait_closed()


@asynccontextmanager
async def throwaway_database(settings: MySQLSettings) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    async with server_connection(settings) as connection, connection.cursor() as cursor:
        await cursor.execute(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        await drop_databases(settings, name)


async def drop_databases(settings: MySQLSettings, *names: str) -> None:
    async with server_connection(settings) as connection, connection.cursor() as cursor:
        for name in names:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


async def count_rows(pool: aiomysql.Pool, table: str, where: str | None = None) -> int:
    """Rows of ``table``, or those matching the test's own ``where`` condition."""
    condition = f" WHERE {where}" if where else ""
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(f"SELECT COUNT(*) FROM `{table}`{condition}")
    assert row is not None
    return int(row[0])
