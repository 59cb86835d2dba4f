"""The order-service's schema: applied once, idempotent, safe from two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiomysql
import pytest

from order_service.adapters.schema import migrate_database
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database

EXPECTED = [
    "shared:0001_processed_events",
    "shared:0002_outbox",
    "order_service:0001_orders",
    "order_service:0002_customers",
    "order_service:0003_customers_known_by_any_fact",
]


@pytest.fixture
async def empty_database() -> AsyncIterator[MySQLSettings]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        yield settings.model_copy(update={"database": database})


async def fetch(settings: MySQLSettings, sql: str) -> list[tuple[object, ...]]:
    connection = await aiomysql.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        db=settings.database,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(sql)
            return [tuple(row) for row in await cursor.fetchall()]
    finally:
        connection.close()


async def test_a_second_run_applies_nothing(empty_database: MySQLSettings) -> None:
    assert await migrate_database(empty_database) == EXPECTED
    assert await migrate_database(empty_database) == []


async def test_two_concurrent_runs_both_succeed_and_record_each_migration_once(
    empty_database: MySQLSettings,
) -> None:
    first, second = await asyncio.gather(
        migrate_database(empty_database), migrate_database(empty_database)
    )
    assert sorted([first, second], key=len) == [[], EXPECTED]
    recorded = await fetch(
        empty_database, "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version"
    )
    assert sorted(recorded) == sorted((version, 1) for version in EXPECTED)


async def test_the_schema_has_the_orders_tables_with_exact_money_and_ids(
    empty_database: MySQLSettings,
) -> None:
    await migrate_database(empty_database)
    columns = await fetch(
        empty_database,
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS"
        f" WHERE TABLE_SCHEMA = '{empty_database.database}'"
        " AND TABLE_NAME IN ('orders', 'order_items', 'customers')",
    )
    types = {(table, column): kind for table, column, kind, _ in columns}
    nullable = {(table, column) for table, column, _, null in columns if null == "YES"}
    assert types[("orders", "id")] == "char(36)"
    assert types[("orders", "user_id")] == "char(36)"
    assert types[("orders", "currency")] == "char(3)"
    assert types[("orders", "total")] == "decimal(14,2)"
    assert types[("orders", "created_at")] == "datetime(6)"
    assert types[("order_items", "unit_price")] == "decimal(14,2)"
    assert types[("customers", "user_id")] == "char(36)"
    assert types[("customers", "active")] == "tinyint(1)"
    # A deactivation can be learnt before the registration that brings the email.
    assert nullable & {("customers", "email"), ("customers", "active")} == {("customers", "email")}
    indexes = await fetch(empty_database, "SHOW INDEX FROM orders WHERE Column_name = 'user_id'")
    assert indexes
