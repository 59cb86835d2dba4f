"""The service's migrations: platform tables first, once each, safe from two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiomysql
import pymysql
import pytest

from shared.db.unit_of_work import UnitOfWork
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from user_service.bootstrap import migrate_database

EXPECTED = [
    "shared:0001_processed_events",
    "shared:0002_outbox",
    "user_service:0001_users",
    "user_service:0002_order_ledger",
]


@pytest.fixture
async def empty() -> AsyncIterator[MySQLSettings]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        yield settings.model_copy(update={"database": database})


async def recorded_versions(settings: MySQLSettings) -> list[str]:
    connection = await aiomysql.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        db=settings.database,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT version FROM schema_migrations ORDER BY version")
            return [version for (version,) in await cursor.fetchall()]
    finally:
        connection.close()


async def test_a_second_run_applies_nothing(empty: MySQLSettings) -> None:
    assert await migrate_database(empty) == EXPECTED
    assert await migrate_database(empty) == []
    assert await recorded_versions(empty) == EXPECTED


async def test_concurrent_runs_both_succeed_and_record_each_migration_once(
    empty: MySQLSettings,
) -> None:
    first, second = await asyncio.gather(migrate_database(empty), migrate_database(empty))
    assert sorted(first + second) == EXPECTED
    assert await recorded_versions(empty) == EXPECTED


async def test_the_database_refuses_negative_spend(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        await uow.execute(
            "INSERT INTO users (id, email, name, status, created_at)"
            " VALUES ('u1', 'a@b.c', 'A', 'active', NOW(6))"
        )
        with pytest.raises(pymysql.err.OperationalError, match="user_spend_not_negative"):
            await uow.execute(
                "INSERT INTO user_spend (user_id, currency, amount) VALUES ('u1', 'EUR', -1)"
            )


async def test_the_database_refuses_a_negative_order_count(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        await uow.execute(
            "INSERT INTO users (id, email, name, status, created_at)"
            " VALUES ('u1', 'a@b.c', 'A', 'active', NOW(6))"
        )
        with pytest.raises(pymysql.err.OperationalError, match="out of range"):
            await uow.execute("UPDATE users SET orders_count = orders_count - 1")
