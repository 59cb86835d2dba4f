"""An aiomysql pool from settings, with autocommit off so units of work decide."""

from __future__ import annotations

import aiomysql

from shared.settings import MySQLSettings


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
    )
