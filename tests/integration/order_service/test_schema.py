"""The order-service's own tables: exact money and ids, indexed by customer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from order_service.config import SERVICE
from shared.service import migrate_database
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, server_connection, throwaway_database

# The schema as migrated on a throwaway database.
pytestmark = [pytest.mark.mysql]


@pytest.fixture
async def empty_database() -> AsyncIterator[MySQLSettings]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        yield settings.model_copy(update={"database": database})


async def fetch(settings: MySQLSettings, sql: str) -> list[tuple[object, ...]]:
    async with (
        server_connection(settings, settings.database) as connection,
        connection.cursor() as cursor,
    ):
        await cursor.execute(sql)
        return [tuple(row) for row in await cursor.fetchall()]


async def test_the_schema_has_the_orders_tables_with_exact_money_and_ids(
    empty_database: MySQLSettings,
) -> None:
    await migrate_database(SERVICE, empty_database)
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
