"""Each service's migrations: the platform's tables first, once each, idempotent, safe
from two processes at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.db.migrations import Migration, load_migrations, migrate, platform_migrations
from shared.service import migrate_database
from shared.settings import MySQLSettings
from tests.integration.services.migrations import EXPECTED, PLATFORM
from tests.support.mysql import mysql_settings_for_tests, server_connection, throwaway_database
from tests.support.service_apps import ORDER_SERVICE, UNDER_TEST, USER_SERVICE


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


@pytest.mark.mysql
async def test_a_second_run_applies_nothing(service_name: str, empty: MySQLSettings) -> None:
    definition = UNDER_TEST[service_name].definition
    assert await migrate_database(definition, empty) == EXPECTED[service_name]
    assert await migrate_database(definition, empty) == []
    assert await recorded_versions(empty) == sorted((v, 1) for v in EXPECTED[service_name])


@pytest.mark.mysql
async def test_two_concurrent_runs_both_succeed_and_record_each_migration_once(
    service_name: str, empty: MySQLSettings
) -> None:
    definition = UNDER_TEST[service_name].definition
    first, second = await asyncio.gather(
        migrate_database(definition, empty), migrate_database(definition, empty)
    )
    assert sorted([first, second], key=len) == [[], EXPECTED[service_name]]
    assert await recorded_versions(empty) == sorted((v, 1) for v in EXPECTED[service_name])


# Before decision 35 each service created idempotency_keys with migrations of its own.
SERVICE_COPIES = {
    USER_SERVICE: (
        "user_service:0003_idempotency_keys",
        "user_service:0004_idempotency_claim_held",
    ),
    ORDER_SERVICE: (
        "order_service:0004_idempotency_keys",
        "order_service:0005_idempotency_claim_held",
    ),
}


def history_with_service_copies(service_name: str) -> list[Migration]:
    """The migrations as a database migrated before decision 35 ran them: the platform's
    first two, then the service's, its own copies of the idempotency_keys files in place."""
    definition = UNDER_TEST[service_name].definition
    shared_copies = {m.version: m for m in platform_migrations()}
    keys, claim_held = SERVICE_COPIES[service_name]
    copies = [
        Migration(keys, shared_copies["shared:0003_idempotency_keys"].sql),
        Migration(claim_held, shared_copies["shared:0004_idempotency_claim_held"].sql),
    ]
    own = load_migrations(definition.migrations_dir, definition.migrations_namespace)
    return sorted(
        [shared_copies[v] for v in PLATFORM[:2]] + own + copies,
        key=lambda m: (not m.version.startswith("shared:"), m.version),
    )


@pytest.mark.mysql
async def test_a_database_with_the_service_copies_takes_the_shared_table_as_applied(
    service_name: str, empty: MySQLSettings
) -> None:
    """Upgrading from service-owned copies: the shared migrations are recorded, not run
    again (their ALTER would fail: the constraint exists), and nothing else is applied."""
    await migrate(empty, empty.database, history_with_service_copies(service_name))
    applied = await migrate_database(UNDER_TEST[service_name].definition, empty)
    assert applied == ["shared:0003_idempotency_keys", "shared:0004_idempotency_claim_held"]
    recorded = {version for version, _ in await recorded_versions(empty)}
    assert set(SERVICE_COPIES[service_name]) | set(EXPECTED[service_name]) == recorded
    async with (
        server_connection(empty, empty.database) as connection,
        connection.cursor() as cursor,
    ):
        await cursor.execute(
            "SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS"
            " WHERE CONSTRAINT_SCHEMA = %s AND CONSTRAINT_NAME = 'idempotency_keys_claim_held'",
            (empty.database,),
        )
        assert await cursor.fetchone() == (1,)
