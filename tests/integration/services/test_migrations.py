"""Each service's migrations: the platform's tables first, once each, idempotent, safe
from two processes at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.service import migrate_database
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, server_connection, throwaway_database
from tests.support.service_apps import ORDER_SERVICE, UNDER_TEST, USER_SERVICE

PLATFORM = ["shared:0001_processed_events", "shared:0002_outbox"]
EXPECTED = {
    USER_SERVICE: [
        *PLATFORM,
        "user_service:0001_users",
        "user_service:0002_order_ledger",
        "user_service:0003_idempotency_keys",
        "user_service:0004_idempotency_claim_held",
        "user_service:0005_users_known_by_provider_identity",
    ],
    ORDER_SERVICE: [
        *PLATFORM,
        "order_service:0001_orders",
        "order_service:0002_customers",
        "order_service:0003_customers_known_by_any_fact",
        "order_service:0004_idempotency_keys",
        "order_service:0005_idempotency_claim_held",
        "order_service:0006_customers_known_by_identity",
    ],
}


@pytest.fixture
async def empty() -> AsyncIterator[MySQLSettings]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        yield settings.model_copy(update={"database": database})


async def recorded_versions(settings: MySQLSettings) -> list[tuple[str, int]]:
    async with (
        server_connection(settings, settings.database) as connection,
        connection.cursor() as cursor,
    ):
        await cursor.execute(
            "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version"
        )
        return [(version, count) for version, count in await cursor.fetchall()]


async def test_a_second_run_applies_nothing(service_name: str, empty: MySQLSettings) -> None:
    definition = UNDER_TEST[service_name].definition
    assert await migrate_database(definition, empty) == EXPECTED[service_name]
    assert await migrate_database(definition, empty) == []
    assert await recorded_versions(empty) == sorted((v, 1) for v in EXPECTED[service_name])


async def test_two_concurrent_runs_both_succeed_and_record_each_migration_once(
    service_name: str, empty: MySQLSettings
) -> None:
    definition = UNDER_TEST[service_name].definition
    first, second = await asyncio.gather(
        migrate_database(definition, empty), migrate_database(definition, empty)
    )
    assert sorted([first, second], key=len) == [[], EXPECTED[service_name]]
    assert await recorded_versions(empty) == sorted((v, 1) for v in EXPECTED[service_name])


def test_every_service_keeps_idempotency_keys_in_the_same_table() -> None:
    """One shape, one table: the middleware in shared writes both services' rows."""
    user, order = (
        {
            path.name.split("_", 1)[1]: path.read_text()
            for path in UNDER_TEST[name].definition.migrations_dir.glob("*_idempotency_*.sql")
        }
        for name in (USER_SERVICE, ORDER_SERVICE)
    )
    assert set(user) == {"idempotency_keys.sql", "idempotency_claim_held.sql"}
    assert user == order
