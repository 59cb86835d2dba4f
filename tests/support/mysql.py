"""Throwaway MySQL databases for tests: unique names, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomysql

from shared.settings import MySQLSettings


def mysql_settings_for_tests() -> MySQLSettings:
    return MySQLSettings(
        host=os.environ.get("EDA_TEST_MYSQL_HOST", "127.0.0.1"),
        port=int(os.environ.get("EDA_TEST_MYSQL_PORT", "3306")),
        user=os.environ.get("EDA_TEST_MYSQL_USER", "root"),
        password=os.environ.get("EDA_TEST_MYSQL_PASSWORD", ""),
        pool_max_size=5,
    )


@asynccontextmanager
async def throwaway_database(settings: MySQLSettings) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    connection = await aiomysql.connect(
        host=settings.host, port=settings.port, user=settings.user, password=settings.password
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(f"CREATE DATABASE `{name}`")
        yield name
    finally:
        async with connection.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()
